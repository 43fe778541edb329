package engine

import (
	"strings"
	"testing"
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
