package observe

import (
	"context"
	"errors"

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
// version it already has. It returns the ids of the forms installed.
func InstallDefaultForms(ctx context.Context, db *store.DB, orgID int64) ([]string, error) {
	installed := []string{}
	for _, f := range form.Templates() {
		if _, err := db.FormByKey(ctx, orgID, f.ID, f.Version); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if _, err := SaveForm(ctx, db, orgID, f); err != nil {
			return nil, err
		}
		installed = append(installed, f.ID)
	}
	return installed, nil
}
