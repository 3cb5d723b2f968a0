package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form/media"
)

func init() {
	register(command{name: "forms attach", summary: "store the pictures a form version names (media::image), served in its OpenRosa manifest", run: runFormsAttach})
}

// runFormsAttach uploads a form version's media files, as ODK Central
// takes a form's attachments after the workbook: each FILE is stored under
// its base name, which the form must declare.
func runFormsAttach(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "forms attach", "--org NAME --form FORM [--version V] [--db D] FILE...")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	key := fs.String("form", "", "form `ID`")
	version := fs.String("version", "", "form `VERSION` (default: the latest)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || *key == "" || len(pos) == 0 {
		return usagef("forms attach: give --org, --form and at least one file")
	}
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	sf, err := d.FormByKey(ctx, o.ID, *key, *version)
	if err != nil {
		return fmt.Errorf("forms attach: %w", err)
	}
	// Every file is checked before any is stored, so that a refused one
	// leaves the version as it was.
	data := make([][]byte, len(pos))
	for i, p := range pos {
		if data[i], err = os.ReadFile(p); err != nil {
			return fmt.Errorf("forms attach: %w", err)
		}
		if _, err := media.Check(sf.Form, filepath.Base(p), data[i]); err != nil {
			return fmt.Errorf("forms attach %s: %w", p, err)
		}
	}
	for i, p := range pos {
		name := filepath.Base(p)
		m, err := observe.AttachFormMedia(ctx, d, sf, name, data[i],
			cliEntry(o.ID, "form.media", "form:"+sf.Form.ID+":"+sf.Form.Version+":"+name, map[string]any{"file": p, "bytes": len(data[i])}))
		if err != nil {
			return fmt.Errorf("forms attach %s: %w", p, err)
		}
		fmt.Fprintf(e.stdout, "form %s version %s: %s stored (%s, %d bytes, %s)\n", sf.Form.ID, sf.Form.Version, name, m.ContentType, m.Size, m.MD5)
	}
	missing, err := observe.MissingFormMedia(ctx, d, sf)
	if err != nil {
		return fmt.Errorf("forms attach: %w", err)
	}
	if len(missing) > 0 {
		fmt.Fprintf(e.stdout, "the form names files not yet attached: %s\n", strings.Join(missing, ", "))
	}
	return nil
}
