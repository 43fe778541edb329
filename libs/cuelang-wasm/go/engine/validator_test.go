package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

// program compiles #T of src and returns its validator program as JSON.
func program(t *testing.T, src string) string {
	t.Helper()
	e := New()
	c, err := e.Compile("s.cue", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Validator(c.Handle, "#T")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidatorCoversTheSeed(t *testing.T) {
	got := program(t, `#T: {first: =~"[A-Z].*", Last: =~"[A-Z].*", Age?: number & <130}`)
	for _, want := range []string{
		`{"name":"first","required":true,"t":{"k":"regex"`,
		`{"name":"Age","t":{"k":"and","of":[{"k":"number"},{"k":"bound","num":"int","n":"130","op":"\u003c"}]}}`,
		`"rest":"closed"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, `"engine"`) {
		t.Errorf("the seed is covered whole:\n%s", got)
	}
}

func TestValidatorStructs(t *testing.T) {
	got := program(t, `
#Open: {a: int, ...}
#T: {
	open: #Open
	labels: {[=~"^[a-z]+$"]: string}
	k: "x"
	n: *1 | int
	r!: string
	s: string
	shape: {r: number} | {w: number, ...}
}`)
	for _, want := range []string{
		`"defs":[{"k":"struct","fields":[{"name":"a","required":true,"t":{"k":"int"}}],"rest":"open"}]`,
		`{"name":"k","t":{"k":"const","v":"x"}}`,          // concrete: may be left out
		`{"name":"n","t":{"k":"int"}}`,                    // a default: may be left out
		`{"name":"r","required":true,"t":{"k":"string"}}`, // required
		`{"name":"s","required":true,"t":{"k":"string"}}`, // not concrete
		`"patterns":[{"match":{"k":"regex","re":"^(?:[\\u0061-\\u007A])+$"},"t":{"k":"string"}}],"rest":"closed"`,
		// Alternatives are met out of their context: a literal in a definition is closed unless it has `...`.
		`{"k":"struct","fields":[{"name":"r","required":true,"t":{"k":"number"}}],"rest":"closed"}`,
		`{"k":"struct","fields":[{"name":"w","required":true,"t":{"k":"number"}}],"rest":"open"}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %s in\n%s", want, got)
		}
	}
}

func TestValidatorRecursionGoesThroughDefinitions(t *testing.T) {
	got := program(t, `#T: {name: string, children?: [...#T]}`)
	if !strings.Contains(got, `{"name":"children","t":{"k":"list","elem":{"k":"ref","def":0}}}`) {
		t.Errorf("got %s", got)
	}
}

// What the program does not cover becomes an engine node: the sub-tree, or
// the whole schema when the source has constructs the evaluated value hides.
func TestValidatorLeavesTheRestToTheEngine(t *testing.T) {
	for src, why := range map[string]string{
		`#T: {min: int, max: >=min}`: "bound that is not a concrete number",
		`#T: {a: int, b: a}`:         "reference to #T.a",
		`import "strings"` + "\n" + `#T: {a: strings.HasPrefix("x")}`: "builtin strings.HasPrefix",
		`#T: {a?: int, if a != _|_ {b: int}}`:                         "comprehension",
		`#T: {let x = 1, a: x}`:                                       "let clause",
		`#T: {a: string, (a): int}`:                                   "dynamic field label",
		`#T: {s: =~"(?m)^x$"}`:                                        "regular expression operator",
		`#T: {b: bytes}`:                                              "value of kind bytes",
	} {
		got := program(t, src)
		if !strings.Contains(got, `"k":"engine","why":"`+why) {
			t.Errorf("%s: want engine (%s), got %s", src, why, got)
		}
	}
}

func TestJSRegex(t *testing.T) {
	for pattern, want := range map[string]string{
		`^a.$`:     `^[\u0061](?:[\u0000-\u0009\u000B-\uD7FF\uE000-\uFFFF]|\uD800[\uDC00-\uDFFF]|[\uD801-\uDBFE][\uDC00-\uDFFF]|\uDBFF[\uDC00-\uDFFF])$`,
		`(?i)k`:    `[\u004B\u006B\u212A]`,
		`[😀-😂]x*?`: `\uD83D[\uDE00-\uDE02](?:[\u0078])*?`,
		`a{2,}|b`:  `(?:[\u0061](?:[\u0061])+|[\u0062])`, // simplified: a{2,} is aa+
	} {
		got, err := jsRegex(pattern)
		if err != nil || got != want {
			t.Errorf("%s: got %s (%v), want %s", pattern, got, err, want)
		}
	}
	for _, pattern := range []string{`(?m)^x`, `\bword\b`} {
		if _, err := jsRegex(pattern); err == nil {
			t.Errorf("%s: translated, though JavaScript would not match it as Go does", pattern)
		}
	}
}
