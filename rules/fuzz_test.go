package rules

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"
)

// FuzzParse checks that no input makes the loader panic, that every problem
// has a position, and that a file that loads can be run.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	seeds = append(seeds, "../config/rules.example.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(minimal))
	f.Add([]byte(engineSrc))
	f.Add([]byte("version: 1\ntypes: [{code: T, name: T}]\nclassify: [{set: {type: T}}]\ncalendars: {c: {timezone: UTC, week: {mon-sun: '00:00-24:00'}}}\nsla: [{calendar: c, first_response: 1h, escalate: {first_response: [{at: 50%, notify: [assignee]}]}}]\n"))
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	in := sampleInput()
	beside := exampleFS(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The files beside it are the default rules' imports: an input
		// never reads the disk.
		fsys := maps.Clone(beside)
		fsys["fuzz.yaml"] = &fstest.MapFile{Data: data}
		r, warns, err := ParseFS(fsys, "fuzz.yaml", now)
		for _, w := range warns {
			if w.Line < 1 || w.Col < 1 || w.File != "fuzz.yaml" {
				t.Fatalf("warning without position: %+v", w)
			}
		}
		if err != nil {
			var probs Problems
			if !errors.As(err, &probs) || len(probs) == 0 {
				t.Fatalf("error is not Problems: %v", err)
			}
			for _, p := range probs {
				if p.Line < 1 || p.Col < 1 || p.File == "" || p.Msg == "" {
					t.Fatalf("problem without position: %+v", p)
				}
			}
			return
		}
		d := r.Decide(*in, RouteState{}, now)
		if d.Policy != nil {
			d.Schedule.Due(nil, now.Add(1000*time.Hour))
		}
	})
}
