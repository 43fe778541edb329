package engine

import (
	"strings"
	"testing"

	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

const identity = `
#Identity: {
	// first name of the person
	first: =~ "[A-Z].*"
	// Last name of the person
	Last: =~ "[A-Z].*"
	// Age of the person
	Age?: number & < 130
}
`

func TestSeed(t *testing.T) {
	e := New()
	c, err := e.Compile("identity.cue", []byte(identity))
	if err != nil {
		t.Fatal(err)
	}
	if vs, err := e.Validate(c.Handle, "#Identity", []byte(`{"first":"John","Last":"Doe","Age":40}`)); err != nil || vs != nil {
		t.Fatalf("valid doc: %v %v", vs, err)
	}
	vs, err := e.Validate(c.Handle, "#Identity", []byte(`{"first":"John","Last":"Doe","Age":140}`))
	if err != nil || len(vs) != 1 {
		t.Fatalf("got %v %v", vs, err)
	}
	if vs[0].Message != "#Identity.Age: invalid value 140 (out of bound <130)" || strings.Join(vs[0].Path, ".") != "Age" {
		t.Fatalf("got %+v", vs[0])
	}
	for _, doc := range []string{`{"Last":"Doe"}`, `{"first":"john","Last":"Doe"}`, `{"first":"John","Last":"Doe","extra":1}`} {
		vs, err := e.Validate(c.Handle, "#Identity", []byte(doc))
		t.Logf("%s -> %+v %v", doc, vs, err)
		if len(vs) == 0 {
			t.Fatalf("%s accepted", doc)
		}
	}
	for i := 0; i < 3; i++ {
		e.Recycle()
		if vs, _ := e.Validate(c.Handle, "#Identity", []byte(`{"first":"John","Last":"Doe","Age":140}`)); len(vs) != 1 {
			t.Fatal("after recycle")
		}
	}
}

func TestCompatibility(t *testing.T) {
	e := New()
	compile := func(src string) Ref {
		c, err := e.Compile("s.cue", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return Ref{c.Handle, "#T"}
	}
	old := compile(`#T: { a: string, n: number & < 130 }`)
	for _, tc := range []struct {
		src, field string
	}{
		{`#T: { a: string, n: number & < 130, b?: int }`, ""},
		{`#T: { a: string, n: number & < 100 }`, "n"},
		{`#T: { a: string, n: number & < 130, c: int }`, "c"},
		{`#T: { a: int, n: number & < 130 }`, "a"},
		{`#T: { a: string, n?: number }`, ""},
	} {
		vs, err := e.Subsumes(compile(tc.src), old)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s -> %+v", tc.src, vs)
		if tc.field == "" && vs != nil || tc.field != "" && (len(vs) == 0 || strings.Join(vs[0].Path, ".") != tc.field) {
			t.Fatalf("%s: %+v", tc.src, vs)
		}
	}
}

func TestBadInput(t *testing.T) {
	e := New()
	if _, err := e.Compile("bad.cue", []byte("#A: {\n  a: \n")); err == nil || err.(*Error).Kind != KindSyntax {
		t.Fatalf("syntax: %v", err)
	} else {
		t.Log(err)
	}
	c, _ := e.Compile("ok.cue", []byte(identity))
	if _, err := e.Validate(c.Handle, "#Nope", []byte(`{}`)); err == nil || err.(*Error).Kind != KindNotFound {
		t.Fatalf("nope: %v", err)
	}
	if _, err := e.Validate(c.Handle, "#Identity", []byte(`{"a":`)); err == nil || err.(*Error).Kind != KindInvalidJSON {
		t.Fatalf("json: %v", err)
	} else {
		t.Log(err)
	}
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if _, err := e.Validate(c.Handle, "#Identity", []byte(deep)); err == nil || err.(*Error).Kind != KindTooDeep {
		t.Fatalf("deep: %v", err)
	}
}

// The document is read as `cue vet` reads a file: past a byte-order mark
// (UTF-8, or UTF-16 which it decodes), with invalid UTF-8 made U+FFFD.
func TestDocumentDecodedAsTheCLI(t *testing.T) {
	e := New()
	c, err := e.Compile("s.cue", []byte("import \"strings\"\n#T: {s: strings.MaxRunes(1), n?: int}"))
	if err != nil {
		t.Fatal(err)
	}
	utf16 := []byte{0xff, 0xfe}
	for _, r := range `{"s":"x"}` {
		utf16 = append(utf16, byte(r), 0)
	}
	for _, doc := range [][]byte{
		[]byte("\xef\xbb\xbf{\"s\":\"x\"}"),
		utf16,
		[]byte("{\"s\":\"\xff\"}"),
	} {
		if vs, err := e.Validate(c.Handle, "#T", doc); err != nil || vs != nil {
			t.Errorf("%q: %v %v", doc, vs, err)
		}
	}
	if _, err := e.Validate(c.Handle, "#T", []byte("{\"s\":\"\xef\xbb\xbfx\"}")); err == nil || err.(*Error).Kind != KindInvalidJSON {
		t.Errorf("a byte-order mark inside the document: %v", err)
	}
}

// Errors come sorted by position and path, each line once, as the CLI prints them.
func TestErrorsSortedAndUnique(t *testing.T) {
	e := New()
	c, err := e.Compile("s.cue", []byte(`#T: {a: int, b: int}`))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.Validate(c.Handle, "#T", []byte(`{"b": "x", "a": "y", "c": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Message)
	}
	// As `cue vet -c` prints them (a conflict stops it before closedness is checked).
	want := []string{
		`#T.a: conflicting values "y" and int (mismatched types string and int)`,
		`#T.b: conflicting values "x" and int (mismatched types string and int)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s", strings.Join(got, "\n"))
	}
	twice := errors.Append(errors.Newf(token.NoPos, "same"), errors.Newf(token.NoPos, "same"))
	if n := len(violations(errors.Sanitize(twice), nil)); n != 1 {
		t.Errorf("%d violations for one error given twice", n)
	}
}
