package election

import "testing"

func TestLevelName(t *testing.T) {
	c := Config{AreaLevels: []string{"region", "tik", "uik"}}
	for level, want := range map[int]string{-1: "", 0: "", 1: "region", 2: "tik", 3: "uik", 4: ""} {
		if got := c.LevelName(level); got != want {
			t.Errorf("LevelName(%d) = %q, want %q", level, got, want)
		}
		// LevelName undoes LevelOf for every named level.
		if want != "" && c.LevelOf(want) != level {
			t.Errorf("LevelOf(%q) = %d, want %d", want, c.LevelOf(want), level)
		}
	}
	if got := (Config{}).LevelName(1); got != "" {
		t.Errorf("an election without names: LevelName(1) = %q", got)
	}
}
