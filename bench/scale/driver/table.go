package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

// row is a line of the table: a label and the cells it joins.
type row struct {
	label string
	keys  []string
	sep   string
}

var rows = []row{
	{"open one `main.k` → first diagnostics", []string{"open1.first"}, ""},
	{"open one `main.k` → its stack's policy diagnostics", []string{"open1.policy"}, ""},
	{"open 10 stacks' `main.k` → quiet, RSS", []string{"open10.quiet", "open10.rss"}, ", "},
	{"open 100 stacks' `main.k` → quiet, RSS", []string{"open100.quiet", "open100.rss"}, ", "},
	{"edit `base/pkg/kusion_models/kube/frontend/server.k` → diagnostics stop", []string{"edit.stop"}, ""},
	{"… → the open files' stacks re-evaluated (server idle)", []string{"edit.idle"}, ""},
	{"\"Check affected stacks\" of `server.k`: time, RSS after", []string{"affected.time", "affected.rss"}, ", "},
	{"server peak RSS in that run", []string{"peak.rss"}, ""},
	{"`check` of the whole repo (CLI): wall, CPU, RSS", []string{"check.wall", "check.cpu", "check.rss"}, ", "},
	{"workspace/symbol first / later", []string{"wsym.first", "wsym.later"}, " / "},
	{"completion p99 / hover p99", []string{"completion.p99", "hover.p99"}, " / "},
	{"workspace index build (cold): time, RSS", []string{"index.cold", "index.rss"}, ", "},
	{"workspace index build (warm restart)", []string{"index.warm"}, ""},
}

// tableMain prints the medians of the runs in the given JSON files, one
// column per size (in the order of first appearance).
func tableMain(args []string) error {
	fl := flag.NewFlagSet("table", flag.ExitOnError)
	out := fl.String("o", "", "also write the table to this file")
	_ = fl.Parse(args)
	var sizes []string
	bySize := map[string][]*result{}
	for _, path := range fl.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r := &result{}
		if err := json.Unmarshal(b, r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if _, ok := bySize[r.Size]; !ok {
			sizes = append(sizes, r.Size)
		}
		bySize[r.Size] = append(bySize[r.Size], r)
	}
	var b strings.Builder
	b.WriteString("| |")
	for _, s := range sizes {
		fmt.Fprintf(&b, " %s |", sizeHeader(s, bySize[s]))
	}
	b.WriteString("\n|---|")
	for range sizes {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	var notes []string
	for _, rw := range rows {
		fmt.Fprintf(&b, "| %s |", rw.label)
		for _, s := range sizes {
			var parts []string
			for _, k := range rw.keys {
				text, note := aggregate(bySize[s], k)
				parts = append(parts, text)
				if note != "" {
					notes = append(notes, fmt.Sprintf("%s, %s: %s", s, k, note))
				}
			}
			fmt.Fprintf(&b, " %s |", joinCells(parts, rw.sep))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, s := range sizes {
		fmt.Fprintf(&b, "- %s: %s\n", s, runsSummary(bySize[s]))
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	fmt.Print(b.String())
	if *out != "" {
		return os.WriteFile(*out, []byte(b.String()), 0o644)
	}
	return nil
}

// joinCells joins a row's cells, writing a state shared by all once
// ("n/a", not "n/a, n/a").
func joinCells(parts []string, sep string) string {
	same := true
	for _, p := range parts[1:] {
		if p != parts[0] {
			same = false
		}
	}
	if same && len(parts) > 1 && !strings.ContainsAny(parts[0], "0123456789") {
		return parts[0]
	}
	return strings.Join(parts, sep)
}

func sizeHeader(size string, rs []*result) string {
	for _, r := range rs {
		if r.Mode == "lsp" && r.Lines > 0 {
			return fmt.Sprintf("%s: %s lines, %s stacks", size, thousands(r.Lines), thousands(r.Stacks))
		}
	}
	return size
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// runsSummary gives the number of runs of each mode, their start times and
// the load averages around them, and the settings.
func runsSummary(rs []*result) string {
	count := map[string]int{}
	var loads, settings []string
	for _, r := range rs {
		count[r.Mode]++
		loads = append(loads, fmt.Sprintf("%s %s (%s → %s)", r.Mode, r.Started, r.LoadBefore, r.LoadAfter))
		if r.Settings != "" && !contains(settings, r.Settings) {
			settings = append(settings, r.Settings)
		}
	}
	return fmt.Sprintf("%d LSP run(s), %d check run(s); %s; load average (1, 5, 15 min) %s",
		count["lsp"], count["check"], strings.Join(settings, "; "), strings.Join(loads, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// aggregate gives the median of the measured values of key over the runs,
// and a note: how many runs did not measure it, and the runs' notes.
func aggregate(rs []*result, key string) (string, string) {
	var vals []float64
	var unit string
	states := map[string]int{}
	var notes []string
	total := 0
	for _, r := range rs {
		c, ok := r.Cells[key]
		if !ok {
			continue
		}
		total++
		if c.State == "" {
			vals = append(vals, c.V)
			unit = c.Unit
		} else {
			states[c.State]++
		}
		if c.Note != "" && !contains(notes, c.Note) {
			notes = append(notes, c.Note)
		}
	}
	if total == 0 {
		return "—", ""
	}
	var note []string
	if len(notes) > 0 {
		note = append(note, strings.Join(notes, "; "))
	}
	if len(vals) == 0 {
		var ks []string
		for k := range states {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, "/"), strings.Join(note, "")
	}
	text := fmtValue(cell{V: median(vals), Unit: unit})
	if len(vals) < total {
		var ks []string
		for k, n := range states {
			ks = append(ks, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(ks)
		text += fmt.Sprintf(" (%s of %d runs)", strings.Join(ks, ", "), total)
	}
	if len(vals) > 1 {
		note = append([]string{fmt.Sprintf("median of %d", len(vals))}, note...)
	}
	if len(note) == 1 && strings.HasPrefix(note[0], "median of") {
		return text, ""
	}
	return text, strings.Join(note, "; ")
}

// fmtValue formats a cell: seconds as ms below 1 s, bytes as MiB or GiB.
func fmtValue(c cell) string {
	if c.State != "" {
		return c.State
	}
	switch c.Unit {
	case "s":
		switch {
		case c.V < 0.01:
			return fmt.Sprintf("%.1f ms", c.V*1000)
		case c.V < 1:
			return fmt.Sprintf("%.0f ms", c.V*1000)
		case c.V < 10:
			return fmt.Sprintf("%.2f s", c.V)
		case c.V < 100:
			return fmt.Sprintf("%.1f s", c.V)
		default:
			return fmt.Sprintf("%.0f s", c.V)
		}
	case "B":
		const mib = 1 << 20
		if c.V < 1<<30 {
			return fmt.Sprintf("%.0f MiB", c.V/mib)
		}
		return fmt.Sprintf("%.2f GiB", c.V/(1<<30))
	}
	return fmt.Sprintf("%g", c.V)
}
