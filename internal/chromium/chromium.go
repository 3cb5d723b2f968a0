// Package chromium finds the Chromium vigil drives: for PDF printing in
// production and for the browser tests. One search order for both, so
// that a test passing on a machine means the program finds the same
// browser there.
package chromium

import (
	"os"
	"os/exec"
)

// EnvVar names the environment variable that chooses the browser.
const EnvVar = "VIGIL_CHROMIUM"

// names are looked up on the PATH in this order: Debian's package, the
// name other distributions use, then Google's build.
var names = []string{"chromium", "chromium-browser", "google-chrome"}

// Find returns the Chromium to run: $VIGIL_CHROMIUM when set (a path, or a
// name looked up on the PATH), else the first of chromium,
// chromium-browser and google-chrome on the PATH, else /usr/bin/chromium
// (for a PATH without /usr/bin); "" when there is none.
func Find(getenv func(string) string) string {
	if p := getenv(EnvVar); p != "" {
		if lp, err := exec.LookPath(p); err == nil {
			return lp
		}
		return p // as given: running it will say what is wrong
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}
