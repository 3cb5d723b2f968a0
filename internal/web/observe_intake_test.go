package web_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// Issue 10, item 1: an SMS never lands in a foreign organisation. A number
// on Mission A's roster cannot join Group B's unless both agreed; once
// shared, a message from it asks which organisation, and "@ID" answers.
func TestSMSSharedNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		ctx := context.Background()
		if err := db.SetOrgCountry(ctx, fx.orgB.ID, "KZ"); err != nil {
			t.Fatal(err)
		}
		// Gulnara (1001, +77000000004) of Mission A, written nationally.
		obs, err := observe.ParseRosterIn(strings.NewReader("id,name,phone,team\n1001,Gulnara,8 700 000 00 04,TB\n"), "b2.csv", "Group B", "KZ")
		if err != nil || obs[0].Phone != "+77000000004" {
			t.Fatalf("%+v %v", obs, err)
		}
		_, _, err = db.ImportRoster(ctx, fx.orgB.ID, obs)
		var taken store.PhoneConflicts
		if !errors.As(err, &taken) || len(taken) != 1 || !strings.HasPrefix(err.Error(), `line 2: phone +77000000004 (observer "1001") is already on the roster of "Mission A"`) {
			t.Fatalf("a number of another roster: %v", err)
		}
		// One side's agreement is not enough.
		if err := db.SharePhone(ctx, fx.orgB.ID, fx.orgA.ID, "+77000000004"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportRoster(ctx, fx.orgB.ID, obs); !errors.As(err, &taken) {
			t.Fatalf("shared by one side only: %v", err)
		}
		if err := db.SharePhone(ctx, fx.orgA.ID, fx.orgB.ID, "+77000000004"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportRoster(ctx, fx.orgB.ID, obs); err != nil {
			t.Fatalf("shared by both: %v", err)
		}
		good := "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3"
		code, body := fx.twilio(t, "+77000000004", good, "SH1", true)
		want := fmt.Sprintf("this number is on the rosters of Mission A, Group B. Send the report again starting with @%d for Mission A, @%d for Group B.", fx.orgA.ID, fx.orgB.ID)
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("shared number: %d %s", code, body)
		}
		for _, org := range []int64{fx.orgA.ID, fx.orgB.ID} {
			if n, _ := db.CountReports(ctx, org); n != 0 {
				t.Fatalf("organisation %d got a report by guess", org)
			}
		}
		code, body = fx.twilio(t, "+77000000004", fmt.Sprintf("@%d %s", fx.orgB.ID, good), "SH2", true)
		if code != 200 || strings.Contains(body, "not accepted") {
			t.Fatalf("@B: %d %s", code, body)
		}
		if _, err := db.ReportByClientID(ctx, fx.orgB.ID, "sms:twilio:SH2"); err != nil {
			t.Fatalf("the report is not in Group B: %v", err)
		}
		if n, _ := db.CountReports(ctx, fx.orgA.ID); n != 0 {
			t.Fatal("Mission A got Group B's report")
		}
		// "@" naming an organisation that does not have the number asks again.
		code, body = fx.twilio(t, "+77000000004", "@999 "+good, "SH3", true)
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("@999: %d %s", code, body)
		}
		// A national number is read in the country of the organisation
		// whose roster has it: Group B's (KZ); Mission A has no country.
		code, body = fx.twilio(t, "87000000004", good, "SH4", true)
		if code != 200 || strings.Contains(body, "not accepted") || strings.Contains(body, "not on the observer roster") {
			t.Fatalf("national: %d %s", code, body)
		}
		if _, err := db.ReportByClientID(ctx, fx.orgB.ID, "sms:twilio:SH4"); err != nil {
			t.Fatalf("national number: %v", err)
		}
	})
}

// A number on two rosters without agreement (put there before this
// check, or by hand) is refused, never resolved to the first.
func TestSMSTwoRostersUnshared(t *testing.T) {
	db := storetest.SQLite(t)
	fx := newObsFixture(t, db)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `UPDATE observers SET phone = '+77000000004' WHERE code = 'b1'`); err != nil {
		t.Fatal(err)
	}
	code, body := fx.twilio(t, "+77000000004", "VO1001AA101AB0930AC311AD1AE1AF1AG2AH1AI2AJ2AK2AL2AM2AN3", "U1", true)
	if code != 200 || !strings.Contains(body, "have not agreed to share it; nothing was stored") {
		t.Fatalf("%d %s", code, body)
	}
	for _, org := range []int64{fx.orgA.ID, fx.orgB.ID} {
		if n, _ := db.CountReports(ctx, org); n != 0 {
			t.Fatalf("organisation %d got a report", org)
		}
	}
}
