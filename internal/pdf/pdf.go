// Package pdf prints HTML documents to PDF with headless Chromium (the
// recommendations' drafts: vigil recommendations draft, and the
// dashboard's "PDF" link). It runs a program, so it lives apart from the
// packages whose documents it prints: recommend builds a draft and
// recommend/draft renders it as HTML, neither knowing of browsers, and the
// store, which imports recommend for its types, runs no process.
package pdf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrNoChromium is returned by Print when no Chromium is given
// (chromium.Find found none).
var ErrNoChromium = errors.New("no Chromium found: install chromium or set VIGIL_CHROMIUM to print PDF")

// Timeout bounds one printing: a draft prints in seconds; a Chromium that
// hangs (no display, a profile lock) must not hold a request or a command
// for ever.
const Timeout = 2 * time.Minute

// Print prints an HTML document to a PDF file at pdfPath with the
// Chromium at the path chromium (chromium.Find's answer). The document is
// written to a temporary file first, so that its relative links resolve
// nowhere and a large document is not passed on a command line.
func Print(ctx context.Context, chromium string, html []byte, pdfPath string) (err error) {
	if chromium == "" {
		return ErrNoChromium
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("printing %s to PDF: %w", pdfPath, err)
		}
	}()
	dir, err := os.MkdirTemp("", "vigil-pdf-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "draft.html")
	if err := os.WriteFile(in, html, 0o600); err != nil {
		return err
	}
	out, err := filepath.Abs(pdfPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer", "--print-to-pdf="+out, "file://"+in)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("chromium %s: %w: %s", chromium, err, strings.TrimSpace(string(msg)))
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() == 0 {
		return fmt.Errorf("chromium %s wrote no PDF: %s", chromium, strings.TrimSpace(string(msg)))
	}
	return nil
}
