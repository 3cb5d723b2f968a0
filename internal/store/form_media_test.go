package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

func TestFormMedia(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.EnsureOrganisation(ctx, "Mission", "international")
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.EnsureOrganisation(ctx, "Other", "international")
		if err != nil {
			t.Fatal(err)
		}
		sf, err := db.SaveForm(ctx, org.ID, form.CountingTemplate())
		if err != nil {
			t.Fatal(err)
		}
		entry := func(obj string) store.AuditEntry {
			return store.AuditEntry{OrgID: org.ID, Actor: "t", Channel: "cli", Action: "form.media", Object: obj}
		}
		m := &store.FormMedia{OrgID: org.ID, FormID: sf.ID, FileName: "b.png", ContentType: "image/png", Data: []byte("first")}
		if err := db.SaveFormMedia(ctx, m, entry("b1")); err != nil {
			t.Fatal(err)
		}
		if m.MD5 != "md5:8b04d5e3775d298e78455efc5ca404d5" || m.Size != 5 {
			t.Fatalf("hash and size: %q %d", m.MD5, m.Size)
		}
		if err := db.SaveFormMedia(ctx, &store.FormMedia{OrgID: org.ID, FormID: sf.ID, FileName: "a.jpg", ContentType: "image/jpeg", Data: []byte("jpeg")}, entry("a")); err != nil {
			t.Fatal(err)
		}
		// The same name again replaces the file.
		if err := db.SaveFormMedia(ctx, &store.FormMedia{OrgID: org.ID, FormID: sf.ID, FileName: "b.png", ContentType: "image/png", Data: []byte("second")}, entry("b2")); err != nil {
			t.Fatal(err)
		}
		list, err := db.FormMediaList(ctx, sf.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].FileName != "a.jpg" || list[1].FileName != "b.png" || list[1].Size != 6 || list[1].Data != nil {
			t.Fatalf("list: %+v", list)
		}
		got, err := db.FormMediaFile(ctx, sf.ID, "b.png")
		if err != nil || string(got.Data) != "second" || got.ContentType != "image/png" || got.MD5 != list[1].MD5 {
			t.Fatalf("file: %+v, %v", got, err)
		}
		if _, err := db.FormMediaFile(ctx, sf.ID, "c.png"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing file: %v", err)
		}
		// Another organisation's form version is refused, and its audit
		// entry is not written (same transaction).
		err = db.SaveFormMedia(ctx, &store.FormMedia{OrgID: other.ID, FormID: sf.ID, FileName: "x.png", Data: []byte("x")}, entry("refused"))
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other organisation's form: %v", err)
		}
		log, err := db.AuditLog(ctx, org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range log {
			if e.Action == "form.media" {
				seen[e.Object] = true
			}
		}
		if !seen["b1"] || !seen["a"] || !seen["b2"] || seen["refused"] {
			t.Fatalf("audit entries: %v", seen)
		}
	})
}
