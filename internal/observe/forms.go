package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// TriageStates are the states of an incident's triage, in order.
var TriageStates = []string{"new", "investigating", "confirmed", "dismissed", "referred"}

// FormSaver stores a checked form with its audit entries in one
// transaction; internal/store implements it.
type FormSaver interface {
	SaveForm(ctx context.Context, orgID int64, f *form.Form, audit ...store.AuditEntry) (*store.StoredForm, error)
}

// SaveForm checks a form (the rules are the domain's, not the store's)
// and stores it as a new version, with its audit entries.
//
// A form without a version gets one from its content (form.EnsureVersion):
// the OpenRosa form list and download URL need it.
func SaveForm(ctx context.Context, db FormSaver, orgID int64, f *form.Form, audit ...store.AuditEntry) (*store.StoredForm, error) {
	f.EnsureVersion()
	if err := f.Check(); err != nil {
		return nil, err
	}
	return db.SaveForm(ctx, orgID, f, audit...)
}

// InstallDefaultForms stores the default templates (opening, voting,
// counting, tabulation, incident) for an organisation, skipping those whose
// version it already has, in one transaction with the audit entries (an
// entry without a detail gets {"installed": [ids]}). It returns the ids of
// the forms installed.
func InstallDefaultForms(ctx context.Context, db *store.DB, orgID int64, audit ...store.AuditEntry) ([]string, error) {
	installed := []string{}
	var fs []*form.Form
	for _, f := range form.Templates() {
		if _, err := db.FormByKey(ctx, orgID, f.ID, f.Version); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		f.EnsureVersion()
		if err := f.Check(); err != nil {
			return nil, fmt.Errorf("default form %s: %w", f.ID, err)
		}
		fs = append(fs, f)
		installed = append(installed, f.ID)
	}
	detail, err := json.Marshal(map[string][]string{"installed": installed})
	if err != nil {
		return nil, err
	}
	audit = append([]store.AuditEntry(nil), audit...)
	for i := range audit {
		if audit[i].Detail == nil {
			audit[i].Detail = detail
		}
	}
	if len(fs) == 0 && len(audit) == 0 {
		return installed, nil
	}
	if _, err := db.SaveForms(ctx, orgID, fs, audit...); err != nil {
		return nil, err
	}
	return installed, nil
}
