/** Injection tokens of the catalog module, apart so that controller and module do not import each other. */
export const CUE_ENGINE = Symbol("CUE_ENGINE");
export const CATALOG_STORE = Symbol("CATALOG_STORE");
