package engine

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"
)

// Ref names one definition of one compiled schema.
type Ref struct {
	Handle     uint32 `json:"handle"`
	Definition string `json:"definition"`
}

// Subsumes reports whether every document valid against specific is also
// valid against general (closedness included). For a new version to be
// backward compatible, general is the new version and specific the old one.
// When it does not, the violations name the fields that make the difference.
func (e *Engine) Subsumes(general, specific Ref) ([]Violation, error) {
	g, _, err := e.definition(general.Handle, general.Definition)
	if err != nil {
		return nil, err
	}
	s, _, err := e.definition(specific.Handle, specific.Definition)
	if err != nil {
		return nil, err
	}
	if g.Subsume(s) == nil {
		return nil, nil
	}
	out := diagnose(g, s, nil)
	if len(out) == 0 {
		out = []Violation{{Path: []string{}, Message: fmt.Sprintf("%v does not accept every value of %v", g, s)}}
	}
	return out, nil
}

type field struct {
	value    cue.Value
	selector cue.Selector
	optional bool
}

func fields(v cue.Value) (map[string]field, []string) {
	byName := map[string]field{}
	var order []string
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return byName, order
	}
	for it.Next() {
		sel := it.Selector()
		name := strings.TrimRight(sel.String(), "?!")
		byName[name] = field{value: it.Value(), selector: sel, optional: sel.ConstraintType() == cue.OptionalConstraint}
		order = append(order, name)
	}
	return byName, order
}

// diagnose walks two structs to the fields where general stops accepting
// what specific accepts.
func diagnose(general, specific cue.Value, path []string) []Violation {
	if general.Subsume(specific) == nil {
		return nil
	}
	at := func(name string) []string { return append(append([]string{}, path...), name) }
	if general.IncompleteKind() != cue.StructKind || specific.IncompleteKind() != cue.StructKind {
		return []Violation{{Path: nonNil(path), Message: fmt.Sprintf("%s%v does not accept every value of %v", prefix(path), general, specific)}}
	}
	var out []Violation
	gf, gorder := fields(general)
	sf, sorder := fields(specific)
	for _, name := range gorder {
		g := gf[name]
		s, inBoth := sf[name]
		switch {
		case inBoth && !g.optional && s.optional:
			out = append(out, Violation{Path: at(name), Message: prefix(at(name)) + "field is now required but was optional"})
		case inBoth:
			out = append(out, diagnose(g.value, s.value, at(name))...)
		case !g.optional && specific.Allows(g.selector):
			out = append(out, Violation{Path: at(name), Message: prefix(at(name)) + "field is required but values without it were accepted"})
		case !g.optional:
			out = append(out, Violation{Path: at(name), Message: prefix(at(name)) + "field is required but was not allowed"})
		}
	}
	for _, name := range sorder {
		if _, inBoth := gf[name]; !inBoth && !general.Allows(sf[name].selector) {
			out = append(out, Violation{Path: at(name), Message: prefix(at(name)) + "field is not allowed but was accepted"})
		}
	}
	return out
}

func prefix(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return strings.Join(path, ".") + ": "
}
