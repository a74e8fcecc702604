// Package suggest is the one spelling-suggestion algorithm of the KCL
// implementation: the resolver's and the evaluator's "did you mean" hints
// and the language server's quick fixes all use it.
//
// A candidate is suggested when its Jaro-Winkler similarity to the misspelt
// name exceeds 0.8, and several are listed from the least to the most
// similar (equals in the order given). The variant is the one KCL's
// messages show: a matched rune counts as out of order when it lies before
// the previous match (not half the mismatched pairs), and the common-prefix
// bonus is not limited to four runes (the sum is capped at 1). Both matter:
// `name 'ErrOther' is not defined, did you mean '["Other"]'?` is 0.81 by
// this rule and 0.71 by the textbook one, while `in` → `int` (0.91) is
// rejected by an edit distance bounded by half the name.
package suggest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Threshold is the similarity a candidate must exceed to be suggested.
const Threshold = 0.8

// Similarity returns the similarity of a and b in [0, 1], comparing runes:
// 1 for equal strings, 0 when nothing matches.
func Similarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	j := jaro(ra, rb)
	prefix := 0
	for prefix < min(len(ra), len(rb)) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return min(j+0.1*float64(prefix)*(1-j), 1)
}

// jaro is the Jaro similarity: runes match when equal and at most window
// apart; a match lying before the previous one counts as out of order.
func jaro(a, b []rune) float64 {
	la, lb := len(a), len(b)
	switch {
	case la == 0 && lb == 0:
		return 1
	case la == 0 || lb == 0:
		return 0
	}
	window := max(max(la, lb)/2-1, 0)
	used := make([]bool, lb)
	matches, outOfOrder, last := 0, 0, 0
	for i, r := range a {
		for j := max(0, i-window); j <= min(lb-1, i+window); j++ {
			if used[j] || b[j] != r {
				continue
			}
			used[j] = true
			matches++
			if j < last {
				outOfOrder++
			}
			last = j
			break
		}
	}
	if matches == 0 {
		return 0
	}
	m := float64(matches)
	return (m/float64(la) + m/float64(lb) + (m-float64(outOfOrder))/m) / 3
}

// Similar reports whether candidate is close enough to name to be
// suggested for it.
func Similar(name, candidate string) bool {
	return Similarity(name, candidate) > Threshold
}

// Candidates returns the candidates similar to name from the least to the
// most similar, equals in the order given, leaving out name itself and
// empty strings.
func Candidates(name string, candidates []string) []string {
	type scored struct {
		c string
		s float64
	}
	var close []scored
	for _, c := range candidates {
		if c == "" || c == name {
			continue
		}
		if s := Similarity(name, c); s > Threshold {
			close = append(close, scored{c, s})
		}
	}
	slices.SortStableFunc(close, func(a, b scored) int { return cmp.Compare(a.s, b.s) })
	out := make([]string, len(close))
	for i, x := range close {
		out[i] = x.c
	}
	return out
}

// DidYouMean returns the suffix KCL appends to an unknown-name message,
// `, did you mean '["a", "b"]'?`, listing Candidates(name, candidates);
// "" when none is close. Callers holding candidates in no particular order
// (a map) sort them first.
func DidYouMean(name string, candidates []string) string {
	return Hint(Candidates(name, candidates))
}

// Hint returns `, did you mean '["a", "b"]'?` listing the names as given
// (the result of Candidates), or "" for none.
func Hint(names []string) string {
	if len(names) == 0 {
		return ""
	}
	q := make([]string, len(names))
	for i, c := range names {
		q[i] = strconv.Quote(c)
	}
	return ", did you mean '[" + strings.Join(q, ", ") + "]'?"
}

// Best returns the candidate most similar to name (the first of equals),
// or "" when none is close: the one replacement a quick fix offers.
func Best(name string, candidates []string) string {
	best, score := "", Threshold
	for _, c := range candidates {
		if c == "" || c == name {
			continue
		}
		if s := Similarity(name, c); s > score {
			best, score = c, s
		}
	}
	return best
}
