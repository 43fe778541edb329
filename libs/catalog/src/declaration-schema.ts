/** The shape of a `schemas/<product>/product.cue` declaration, checked by the CUE engine itself. */
export const declarationSchema = `
// A token's sub, group:<name>, a client certificate's CN, or "*" for any authenticated caller.
#Principal: =~"^\\\\S{1,256}$"
#Access: {
	owners?:    [...(#Principal & !="*")]
	producers?: [...#Principal]
	consumers?: [...#Principal]
}
#Declaration: {
	product: {
		name!:        =~"^[a-z][a-z0-9-]{0,62}$"
		owner!:       string
		description?: string
		source?:      string
	}
	access?: #Access
	types?: [string]: {
		description?:   string
		compatibility?: "BACKWARD" | "BACKWARD_TRANSITIVE" | "FORWARD" | "FORWARD_TRANSITIVE" | "FULL" | "FULL_TRANSITIVE" | "NONE"
		definition!:    =~"^#[A-Za-z_][A-Za-z0-9_]*$"
		schema!:        =~"^[^/]+\\\\.cue$"
		deadLetter?:    bool
	}
}
`;
