package engine

import (
	"slices"
	"strings"

	"cuelang.org/go/cue/errors"
)

// Violation is one CUE error, structured so that callers need not parse text.
type Violation struct {
	// Path inside the validated document.
	Path []string `json:"path"`
	// CUE's own message, with its path prefix: "#Identity.Age: invalid value 140 (out of bound <130)".
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// violations flattens a CUE error. Messages name the path under within, the
// definition the document was validated against, as the seed article shows:
// "#Identity.Age: invalid value 140 (out of bound <130)".
func violations(err error, within []string) []Violation {
	var out []Violation
	for _, e := range errors.Errors(err) {
		path := e.Path()
		v := Violation{Path: nonNil(path), Message: message(e, append(slices.Clip(within), path...))}
		if pos := e.Position(); pos.IsValid() {
			v.File, v.Line, v.Column = pos.Filename(), pos.Line(), pos.Column()
		}
		out = append(out, v)
	}
	return out
}

// message renders an error as `cue vet` prints its first line: "path: msg".
// Error() rather than Msg(): it keeps the cause a builtin gives ("invalid time ...").
func message(e errors.Error, path []string) string {
	msg := e.Error()
	if own := e.Path(); len(own) > 0 {
		msg = strings.TrimPrefix(msg, strings.Join(own, ".")+": ")
	}
	if len(path) > 0 {
		return strings.Join(path, ".") + ": " + msg
	}
	return msg
}

func nonNil(p []string) []string {
	if p == nil {
		return []string{}
	}
	return p
}
