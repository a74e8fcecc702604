package engine

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"
)

// ANSI colors of the diff output.
const (
	colorRed   = "\x1b[31m"
	colorGreen = "\x1b[32m"
	colorCyan  = "\x1b[36m"
	colorBold  = "\x1b[1m"
	colorReset = "\x1b[0m"
)

// WriteTable prints the changes as a table of id and action (and note).
func WriteTable(w io.Writer, stack string, ch *Changes) error {
	if stack != "" {
		if _, err := fmt.Fprintf(w, "Stack: %s\n", stack); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACTION\tNOTE")
	for _, s := range ch.Steps() {
		note := s.Note
		if s.Error != "" {
			note += ": " + s.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, s.Action, note)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	_, err := fmt.Fprintf(w, "Plan: %d to create, %d to update, %d to delete, %d unchanged\n",
		ch.Count(Create), ch.Count(Update), ch.Count(Delete), ch.Count(UnChanged))
	if err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	for _, line := range leftOut(ch) {
		if _, err := fmt.Fprintln(w, line); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	return nil
}

// leftOut explains the steps apply leaves alone or refuses: Excluded,
// Unsupported, Blocked and rejected ones.
func leftOut(ch *Changes) []string {
	nUntargeted := 0
	for _, s := range ch.Steps() {
		if untargeted(s) {
			nUntargeted++
		}
	}
	var lines []string
	if n := ch.Count(Excluded) - nUntargeted; n > 0 {
		lines = append(lines, fmt.Sprintf("%d excluded (type %s): not applied", n, strings.Join(ch.typesOf(Excluded), ", ")))
	}
	if nUntargeted > 0 {
		lines = append(lines, fmt.Sprintf("%d not targeted: left alone", nUntargeted))
	}
	if n := ch.Count(Unsupported); n > 0 {
		ts := ch.typesOf(Unsupported)
		lines = append(lines, fmt.Sprintf("%d resources have a type with no runtime (%s): apply refuses them; --exclude-type %s applies the rest",
			n, strings.Join(ts, ", "), ts[0]))
	}
	if n := ch.Count(Blocked); n > 0 {
		lines = append(lines, fmt.Sprintf("%d blocked: they depend on resources left out, and are not applied", n))
	}
	if n := len(ch.Rejected()); n > 0 {
		lines = append(lines, fmt.Sprintf("%d rejected by the dry-run: apply refuses until they are fixed", n))
	}
	return lines
}

// WriteDiff prints, per changed resource, a unified diff of the YAML of From
// and To; color adds ANSI colors. UnChanged steps are left out.
func WriteDiff(w io.Writer, ch *Changes, color bool) error {
	for _, s := range ch.Steps() {
		if s.Action == UnChanged {
			continue
		}
		d, err := StepDiff(s, color)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, d); err != nil {
			return fmt.Errorf("write diff: %w", err)
		}
	}
	return nil
}

// StepDiff renders one step as a unified YAML diff.
func StepDiff(s *Step, color bool) (string, error) {
	from, err := yamlLines(s.From)
	if err != nil {
		return "", err
	}
	to, err := yamlLines(s.To)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	head := fmt.Sprintf("--- %s (live)\n+++ %s (%s)\n", s.ID, s.ID, strings.ToLower(string(s.Action)))
	if color {
		head = colorBold + head + colorReset
	}
	b.WriteString(head)
	if s.Note != "" {
		fmt.Fprintf(&b, "# %s\n", s.Note)
	}
	for _, h := range unifiedHunks(from, to, 3) {
		hh := fmt.Sprintf("@@ -%d,%d +%d,%d @@\n", h.fromStart, h.fromLen, h.toStart, h.toLen)
		if color {
			hh = colorCyan + hh + colorReset
		}
		b.WriteString(hh)
		for _, l := range h.lines {
			line := string(l.op) + l.text + "\n"
			if color && l.op == '-' {
				line = colorRed + line + colorReset
			} else if color && l.op == '+' {
				line = colorGreen + line + colorReset
			}
			b.WriteString(line)
		}
	}
	return b.String(), nil
}

func yamlLines(obj map[string]any) ([]string, error) {
	if obj == nil {
		return nil, nil
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("render yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render yaml: %w", err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"), nil
}

type diffLine struct {
	op   byte // ' ', '-', '+'
	text string
}

type hunk struct {
	fromStart, fromLen, toStart, toLen int
	lines                              []diffLine
}

// lineDiff is a longest-common-subsequence line diff.
func lineDiff(a, b []string) []diffLine {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else if lcs[i+1][j] >= lcs[i][j+1] {
				lcs[i][j] = lcs[i+1][j]
			} else {
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{' ', a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{'-', a[i]})
			i++
		default:
			out = append(out, diffLine{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, diffLine{'-', a[i]})
	}
	for ; j < m; j++ {
		out = append(out, diffLine{'+', b[j]})
	}
	return out
}

// unifiedHunks groups a line diff into hunks with ctx lines of context.
func unifiedHunks(a, b []string, ctx int) []hunk {
	lines := lineDiff(a, b)
	var hunks []hunk
	// positions (1-based) of each line in a and b
	type pos struct{ ai, bi int }
	ps := make([]pos, len(lines))
	ai, bi := 1, 1
	for k, l := range lines {
		ps[k] = pos{ai, bi}
		switch l.op {
		case ' ':
			ai++
			bi++
		case '-':
			ai++
		case '+':
			bi++
		}
	}
	k := 0
	for k < len(lines) {
		if lines[k].op == ' ' {
			k++
			continue
		}
		start := k - ctx
		if start < 0 {
			start = 0
		}
		end := k
		for end < len(lines) {
			if lines[end].op != ' ' {
				end++
				continue
			}
			// a run of context: does another change follow within 2*ctx?
			run := end
			for run < len(lines) && lines[run].op == ' ' {
				run++
			}
			if run < len(lines) && run-end <= 2*ctx {
				end = run
				continue
			}
			end += ctx
			if end > run {
				end = run
			}
			break
		}
		h := hunk{fromStart: ps[start].ai, toStart: ps[start].bi}
		for _, l := range lines[start:end] {
			h.lines = append(h.lines, l)
			if l.op != '+' {
				h.fromLen++
			}
			if l.op != '-' {
				h.toLen++
			}
		}
		if h.fromLen == 0 {
			h.fromStart--
		}
		if h.toLen == 0 {
			h.toStart--
		}
		hunks = append(hunks, h)
		k = end
	}
	return hunks
}
