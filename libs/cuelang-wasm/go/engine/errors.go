package engine

import (
	"strings"

	"cuelang.org/go/cue/errors"
)

// Violation is one CUE error, structured so that callers need not parse text.
type Violation struct {
	// Path inside the validated value, without the definition it was unified with.
	Path []string `json:"path"`
	// CUE's own message, with its path prefix: "#Identity.Age: invalid value 140 (out of bound <130)".
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// violations flattens a CUE error; strip is the path of the value that was
// validated (e.g. ["#Identity"]), removed from each error path.
func violations(err error, strip []string) []Violation {
	var out []Violation
	for _, e := range errors.Errors(err) {
		path := e.Path()
		if len(path) >= len(strip) && equal(path[:len(strip)], strip) {
			path = path[len(strip):]
		}
		v := Violation{Path: nonNil(path), Message: message(e)}
		if pos := e.Position(); pos.IsValid() {
			v.File, v.Line, v.Column = pos.Filename(), pos.Line(), pos.Column()
		}
		out = append(out, v)
	}
	return out
}

// message renders an error as `cue vet` prints its first line: "path: msg".
func message(e errors.Error) string {
	format, args := e.Msg()
	m := errors.NewMessagef(format, args...)
	msg := m.Error()
	if path := e.Path(); len(path) > 0 {
		return strings.Join(path, ".") + ": " + msg
	}
	return msg
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func nonNil(p []string) []string {
	if p == nil {
		return []string{}
	}
	return p
}
