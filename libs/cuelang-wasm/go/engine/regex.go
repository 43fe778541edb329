package engine

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
)

// jsRegex translates a CUE (Go RE2, Perl syntax) regular expression into the
// source of a JavaScript RegExp, used without flags, that matches exactly
// the same strings of valid Unicode: classes are written as explicit code
// point ranges (so Go's Unicode classes and case folding need no JavaScript
// counterpart) and code points beyond the BMP as surrogate pairs, so that
// no part of the pattern can match half a pair. Without the `u` flag, V8
// can fall back to its linear-time engine when a pattern backtracks too
// much, which keeps Go's guarantee of linear matching.
//
// Multi-line anchors and word boundaries are not translated: a pattern
// using them stays with the engine.
func jsRegex(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := emitRegex(&b, re.Simplify()); err != nil {
		return "", err
	}
	return b.String(), nil
}

func emitRegex(b *strings.Builder, re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(`[^\s\S]`)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				emitClass(b, foldRanges(r))
			} else {
				emitClass(b, []rune{r, r})
			}
		}
	case syntax.OpCharClass:
		emitClass(b, re.Rune)
	case syntax.OpAnyCharNotNL:
		emitClass(b, []rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune})
	case syntax.OpAnyChar:
		emitClass(b, []rune{0, unicode.MaxRune})
	case syntax.OpBeginText:
		b.WriteString(`^`)
	case syntax.OpEndText:
		b.WriteString(`$`)
	case syntax.OpCapture:
		return emitGroup(b, re.Sub[0], "")
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		return emitGroup(b, re.Sub[0], map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[re.Op]+lazy(re))
	case syntax.OpRepeat:
		q := fmt.Sprintf("{%d,%d}", re.Min, re.Max)
		if re.Max < 0 {
			q = fmt.Sprintf("{%d,}", re.Min)
		}
		return emitGroup(b, re.Sub[0], q+lazy(re))
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if err := emitRegex(b, sub); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		b.WriteString(`(?:`)
		for i, sub := range re.Sub {
			if i > 0 {
				b.WriteString(`|`)
			}
			if err := emitRegex(b, sub); err != nil {
				return err
			}
		}
		b.WriteString(`)`)
	default:
		return fmt.Errorf("regular expression operator %v is not translated", re.Op)
	}
	return nil
}

func lazy(re *syntax.Regexp) string {
	if re.Flags&syntax.NonGreedy != 0 {
		return "?"
	}
	return ""
}

func emitGroup(b *strings.Builder, sub *syntax.Regexp, quantifier string) error {
	b.WriteString(`(?:`)
	if err := emitRegex(b, sub); err != nil {
		return err
	}
	b.WriteString(`)`)
	b.WriteString(quantifier)
	return nil
}

// foldRanges is the class of every rune that (?i) makes equal to r.
func foldRanges(r rune) []rune {
	out := []rune{r, r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f, f)
	}
	return out
}

// emitClass writes a class of code point ranges (pairs lo, hi) as UTF-16:
// one bracket for the BMP without surrogates, one alternative per high
// surrogate for the rest.
func emitClass(b *strings.Builder, ranges []rune) {
	var bmp, astral []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for _, part := range [][2]rune{{lo, min(hi, 0xD7FF)}, {max(lo, 0xE000), min(hi, 0xFFFF)}, {max(lo, 0x10000), hi}} {
			if part[0] > part[1] {
				continue
			}
			if part[0] >= 0x10000 {
				astral = append(astral, part[0], part[1])
			} else {
				bmp = append(bmp, part[0], part[1])
			}
		}
	}
	var alts []string
	if len(bmp) > 0 {
		alts = append(alts, bracket(bmp))
	}
	for i := 0; i+1 < len(astral); i += 2 {
		alts = append(alts, astralRange(astral[i], astral[i+1])...)
	}
	switch len(alts) {
	case 0:
		b.WriteString(`[^\s\S]`)
	case 1:
		b.WriteString(alts[0])
	default:
		b.WriteString(`(?:` + strings.Join(alts, "|") + `)`)
	}
}

func bracket(ranges []rune) string {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i+1 < len(ranges); i += 2 {
		b.WriteString(unit(uint16(ranges[i])))
		if ranges[i+1] != ranges[i] {
			b.WriteString("-" + unit(uint16(ranges[i+1])))
		}
	}
	b.WriteString("]")
	return b.String()
}

func unit(u uint16) string { return fmt.Sprintf(`\u%04X`, u) }

func surrogates(r rune) (uint16, uint16) {
	r -= 0x10000
	return uint16(0xD800 + (r >> 10)), uint16(0xDC00 + (r & 0x3FF))
}

// astralRange writes [lo, hi] beyond the BMP as alternatives of surrogate pairs.
func astralRange(lo, hi rune) []string {
	hlo, llo := surrogates(lo)
	hhi, lhi := surrogates(hi)
	pair := func(h uint16, l1, l2 uint16) string {
		return unit(h) + bracket([]rune{rune(l1), rune(l2)})
	}
	if hlo == hhi {
		return []string{pair(hlo, llo, lhi)}
	}
	out := []string{pair(hlo, llo, 0xDFFF)}
	if hhi > hlo+1 {
		out = append(out, bracket([]rune{rune(hlo + 1), rune(hhi - 1)})+bracket([]rune{0xDC00, 0xDFFF}))
	}
	return append(out, pair(hhi, 0xDC00, lhi))
}
