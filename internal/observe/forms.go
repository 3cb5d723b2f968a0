package observe

import (
	"context"
	"errors"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// TriageStates are the states of an incident's triage, in order.
var TriageStates = []string{"new", "investigating", "confirmed", "dismissed", "referred"}

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
		if _, err := db.SaveForm(ctx, orgID, f); err != nil {
			return nil, err
		}
		installed = append(installed, f.ID)
	}
	return installed, nil
}

// CurrentElection is the election an organisation's phones report on when
// the channel does not say (SMS): the newest election in which the
// organisation has assignments, else the newest election.
func CurrentElection(ctx context.Context, db *store.DB, orgID int64) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, `SELECT e.id FROM elections e WHERE EXISTS (SELECT 1 FROM assignments a WHERE a.election_id = e.id AND a.org_id = $1)
		ORDER BY e.date DESC, e.id DESC LIMIT 1`, orgID).Scan(&id)
	if err == nil {
		return id, nil
	}
	err = db.QueryRowContext(ctx, `SELECT id FROM elections ORDER BY date DESC, id DESC LIMIT 1`).Scan(&id)
	if err != nil {
		return 0, errors.New("no election in the database")
	}
	return id, nil
}
