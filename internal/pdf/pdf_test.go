package pdf_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/chromium"
	"github.com/vigil-elections/vigil/internal/pdf"
)

// TestPrintWithoutChromium: no browser is ErrNoChromium (the dashboard
// turns it into a 501, the CLI into its message), and no file is left.
func TestPrintWithoutChromium(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.pdf")
	if err := pdf.Print(context.Background(), "", []byte("<p>x</p>"), out); !errors.Is(err, pdf.ErrNoChromium) {
		t.Fatalf("without Chromium: %v, want ErrNoChromium", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was left at %s: %v", out, err)
	}
}

// TestPrintFailingChromium: a program that is not a working Chromium is an
// error naming the file and the program, never a silent empty PDF.
func TestPrintFailingChromium(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.pdf")
	err := pdf.Print(context.Background(), "/bin/false", []byte("<p>x</p>"), out)
	if err == nil {
		t.Fatal("/bin/false as Chromium printed without error")
	}
	if !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "/bin/false") {
		t.Errorf("error %q names neither the PDF nor the program", err)
	}
	err = pdf.Print(context.Background(), "/bin/true", []byte("<p>x</p>"), out)
	if err == nil || !strings.Contains(err.Error(), "wrote no PDF") {
		t.Errorf("a program that writes nothing: %v, want \"wrote no PDF\"", err)
	}
}

// TestPrint prints a page with a real Chromium (the drafts' fonts and
// page size are checked in recommend/draft's TestPrintPDF).
func TestPrint(t *testing.T) {
	c := chromium.Find(os.Getenv)
	if c == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium: in CI the PDF test must run")
		}
		t.Skip("no Chromium (set VIGIL_CHROMIUM): PDF printing not tested")
	}
	out := filepath.Join(t.TempDir(), "page.pdf")
	if err := pdf.Print(context.Background(), c, []byte("<!doctype html><title>t</title><p>Protocol 17</p>"), out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b[:min(len(b), 20)])
	}
}
