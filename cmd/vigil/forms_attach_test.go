package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

func TestFormsAttach(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "v.db")
	d, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.EnsureOrganisation(ctx, "Group", "international"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	f := &form.Form{ID: "pics", Version: "1", Phase: form.VotingTemplate().Phase, Name: form.Label{EN: "Pictures"}, Questions: []form.Question{
		{ID: "booth", Type: form.YesNo, Label: form.Label{EN: "Booth like this?"}, Image: form.Label{EN: "booth.png"}},
	}}
	fj := filepath.Join(dir, "pics.json")
	b, _ := json.Marshal(f)
	os.WriteFile(fj, b, 0o644)
	mustVigil(t, "forms", "import", fj, "--db", dbPath, "--org", "Group")

	var pic bytes.Buffer
	png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 3, 3)))
	good := filepath.Join(dir, "booth.png")
	os.WriteFile(good, pic.Bytes(), 0o644)
	stranger := filepath.Join(dir, "other.png")
	os.WriteFile(stranger, pic.Bytes(), 0o644)
	fake := filepath.Join(dir, "fake", "booth.png")
	os.MkdirAll(filepath.Dir(fake), 0o755)
	os.WriteFile(fake, []byte("<html><script>alert(1)</script></html>"), 0o644)

	// One refused file refuses the lot: booth.png is not stored either.
	if _, err := vigil(t, "forms", "attach", "--db", dbPath, "--org", "Group", "--form", "pics", good, stranger); err == nil || !strings.Contains(err.Error(), `does not name "other.png"`) {
		t.Fatalf("undeclared name: %v", err)
	}
	if _, err := vigil(t, "forms", "attach", "--db", dbPath, "--org", "Group", "--form", "pics", fake); err == nil || !strings.Contains(err.Error(), "not a PNG") {
		t.Fatalf("not a picture: %v", err)
	}
	d, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	sf, _ := d.FormByKey(ctx, 1, "pics", "")
	if l, _ := d.FormMediaList(ctx, sf.ID); len(l) != 0 {
		t.Fatalf("refused uploads stored %d files", len(l))
	}
	d.Close()
	out := mustVigil(t, "forms", "attach", "--db", dbPath, "--org", "Group", "--form", "pics", good)
	if !strings.Contains(out, "booth.png stored (image/png") || strings.Contains(out, "not yet attached") {
		t.Fatalf("attach: %s", out)
	}
	d, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m, err := d.FormMediaFile(ctx, sf.ID, "booth.png")
	if err != nil || !bytes.Equal(m.Data, pic.Bytes()) {
		t.Fatalf("stored: %v", err)
	}
	log, _ := d.AuditLog(ctx, sf.OrgID, 10)
	if len(log) == 0 || log[0].Action != "form.media" || log[0].Object != "form:pics:1:booth.png" {
		t.Fatalf("audit: %+v", log)
	}
}
