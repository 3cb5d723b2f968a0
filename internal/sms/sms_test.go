package sms

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
)

func testElection() *election.Election {
	return &election.Election{Name: "pres", Kind: election.Presidential, Options: []election.Option{
		{Position: 0, Name: "A", Kind: election.Candidate},
		{Position: 1, Name: "B", Kind: election.Candidate},
		{Position: 2, Name: "Against all", Kind: election.AgainstAll},
	}}
}

func testParser(t testing.TB) *Parser {
	t.Helper()
	var forms []*form.Form
	for _, f := range form.Templates() {
		forms = append(forms, form.BindElection(f, testElection()))
	}
	forms = append(forms, customForm())
	p, err := NewParser(forms...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// customForm has a tag starting with a keypad letter (OB) and a multiple
// choice, which the templates do not.
func customForm() *form.Form {
	return &form.Form{ID: "custom", Name: form.Label{EN: "Custom"}, Phase: form.Incident, Version: "1", Prefix: "XC",
		Questions: []form.Question{
			{ID: "a", Type: form.Integer, Label: form.Label{EN: "a"}, SMS: "AA"},
			{ID: "ob", Type: form.Integer, Label: form.Label{EN: "ob"}, SMS: "OB"},
			{ID: "many", Type: form.MultipleChoice, Label: form.Label{EN: "many"}, SMS: "MC", Choices: []form.Choice{
				{Value: "queue", Code: 1}, {Value: "crowd", Code: 2}, {Value: "police", Code: 3}}},
			{ID: "one", Type: form.SingleChoice, Label: form.Label{EN: "one"}, SMS: "SC", Choices: []form.Choice{
				{Value: "x", Code: 1}, {Value: "y", Code: 3}}},
		}}
}

// fullVoting answers every question of the voting template.
const fullVoting = "VO1234AA117AB0930AC311AD1AE1AF1AG2AH2AI2AJ2AK2AL2AM2AN2"

func TestParseComplete(t *testing.T) {
	p := testParser(t)
	m := p.Parse(fullVoting + " @Queue outside, calm")
	if !m.OK() {
		t.Fatalf("errors %v", m.Errors)
	}
	if m.Form.ID != "voting" || m.FormID != "voting" || m.Version != form.TemplateVersion || p.Form("vo") != m.Form || m.Prefix != "VO" || m.Observer != "1234" || m.Comment != "Queue outside, calm" {
		t.Errorf("message %+v", m)
	}
	if len(m.Answers) != 14 {
		t.Errorf("%d answers: %v", len(m.Answers), m.Answers)
	}
	checks := map[string]form.Value{
		"station": form.IntValue(117), "arrival_time": form.TextValue("09:30"), "voters_so_far": form.IntValue(311),
		"boxes_sealed": form.BoolValue(true), "group_voting": form.BoolValue(false), "overall": form.TextValue(form.Good),
	}
	for id, want := range checks {
		if !m.Answers[id].Equal(want) {
			t.Errorf("%s = %v, want %v", id, m.Answers[id], want)
		}
	}
	if errs := form.Validate(m.Form, m.Answers); len(errs) > 0 {
		t.Errorf("answers fail validation: %v", errs)
	}
	if got := p.Reply(m, English); got != "Thank you. VO1234: 14 answers received." {
		t.Errorf("reply %q", got)
	}
	if got := p.Reply(m, Russian); got != "Спасибо. VO1234: принято ответов: 14." {
		t.Errorf("reply %q", got)
	}
}

func TestParseTolerance(t *testing.T) {
	p := testParser(t)
	for _, text := range []string{
		"vo 1234 aa117 ab 09:30 ac311 ad1 ae1 af1 ag2 ah2 ai2 aj2 ak2 al2 am2 an2",
		"VO-1234, AA 117; AB 0930. AC=311 AD1/AE1 AF1 AG2 AH2 AI2 AJ2 AK2 AL2 AM2 AN2\n",
		"Vo1234aA117Ab0930Ac311Ad1Ae1Af1Ag2Ah2Ai2Aj2Ak2Al2Am2An2",
		// Cyrillic look-alikes typed on a Russian layout: В, О, А, С, Н.
		"VО1234АА117AB0930АС311AD1AE1AF1AG2АН2AI2AJ2AK2AL2AM2AN2",
		// Keypad confusions in numeric positions: o/O for 0, i/I/l for 1.
		"VO1234AAl17ABO93oAC3Il AD1AE1AF1AG2AH2AI2AJ2AK2AL2AM2AN2",
	} {
		m := p.Parse(text)
		if !m.OK() || m.Observer != "1234" {
			t.Errorf("%q: %v (observer %q)", text, m.Errors, m.Observer)
			continue
		}
		if !m.Answers["station"].Equal(form.IntValue(117)) || !m.Answers["arrival_time"].Equal(form.TextValue("09:30")) ||
			!m.Answers["voters_so_far"].Equal(form.IntValue(311)) {
			t.Errorf("%q: answers %v", text, m.Answers)
		}
	}
}

func TestKeypadConfusions(t *testing.T) {
	p := testParser(t)
	m := p.Parse("XCOl2AAo1")
	if m.Observer != "012" || !m.Answers["a"].Equal(form.IntValue(1)) || !m.OK() {
		t.Errorf("observer %q answers %v errors %v", m.Observer, m.Answers, m.Errors)
	}
	// Upper-case L is not a 1.
	m = p.Parse("XC12L4AA1")
	if m.Observer != "12" || len(m.Errors) != 1 || m.Errors[0].Code != ErrUnreadable || m.Errors[0].Value != "L4" {
		t.Errorf("observer %q errors %v", m.Observer, m.Errors)
	}
	// O that starts a tag of the form is the tag, not a zero.
	m = p.Parse("XC5AA1OB2")
	if !m.OK() || !m.Answers["a"].Equal(form.IntValue(1)) || !m.Answers["ob"].Equal(form.IntValue(2)) {
		t.Errorf("OB tag: %v %v", m.Answers, m.Errors)
	}
	// O followed by a letter pair that is no tag is a zero.
	m = p.Parse("XC5AA1OC2")
	if !m.Answers["a"].Equal(form.IntValue(10)) || len(m.Errors) != 1 || m.Errors[0].Value != "C2" {
		t.Errorf("OC: %v %v", m.Answers, m.Errors)
	}
	m = p.Parse("XC5 ob i0")
	if !m.OK() || !m.Answers["ob"].Equal(form.IntValue(10)) {
		t.Errorf("ob: %v %v", m.Answers, m.Errors)
	}
}

func codes(m *Message) []Code {
	var c []Code
	for _, e := range m.Errors {
		c = append(c, e.Code)
	}
	return c
}

func TestParseErrors(t *testing.T) {
	p := testParser(t)
	cases := []struct {
		text string
		want []Error
	}{
		{"  ,. ", []Error{{Code: ErrEmpty}}},
		{"@just a comment", []Error{{Code: ErrEmpty}}},
		{"XX1234AA1", []Error{{Code: ErrUnknownForm, Value: "XX"}}},
		{"VOAA1AB2", []Error{{Code: ErrNoObserver, Value: "VO"}}},
		{"VO", []Error{{Code: ErrNoObserver, Value: "VO"}}},
		{"XC1AA1ZZ5", []Error{{Code: ErrUnknownTag, Tag: "ZZ", Value: "5"}}},
		{"XC1AA", []Error{{Code: ErrNoValue, Tag: "AA", Question: "a"}}},
		{"XC1AA99999999999999999999", []Error{{Code: ErrOutOfRange, Tag: "AA", Value: "99999999999999999999", Question: "a"}}},
		{"XC1AA1AA1", nil},
		{"XC1AA1AA2OB3", []Error{{Code: ErrConflict, Tag: "AA", Value: "1,2"}}},
		{"XC1MC19", []Error{{Code: ErrBadValue, Tag: "MC", Value: "19", Question: "many", Expected: "1-3"}}},
		{"XC1SC2", []Error{{Code: ErrBadValue, Tag: "SC", Value: "2", Question: "one", Expected: "1,3"}}},
		{"XC1AA1ЖOB2", []Error{{Code: ErrUnreadable, Value: "Ж"}}},
		{"XC1AA1 5 OB2", nil}, // spaces separate nothing: AA=15
		{"XC1A", []Error{{Code: ErrUnreadable, Value: "A"}}},
	}
	for _, c := range cases {
		m := p.Parse(c.text)
		if !reflect.DeepEqual(m.Errors, c.want) {
			t.Errorf("%q: errors %+v\nwant %+v", c.text, m.Errors, c.want)
		}
	}
	// A conflicting tag is left unanswered; others stay.
	m := p.Parse("XC1AA1AA2OB3")
	if _, ok := m.Answers["a"]; ok || !m.Answers["ob"].Equal(form.IntValue(3)) {
		t.Errorf("answers %v", m.Answers)
	}
}

func TestParseTemplateErrors(t *testing.T) {
	p := testParser(t)
	m := p.Parse("VO1234AA0AB2460AD3AN5")
	want := []Code{ErrOutOfRange, ErrBadValue, ErrBadValue, ErrBadValue, ErrMissing}
	if !reflect.DeepEqual(codes(m), want) {
		t.Fatalf("codes %v, want %v (%v)", codes(m), want, m.Errors)
	}
	if e := m.Errors[0]; e.Min == nil || *e.Min != 1 || e.Max != nil {
		t.Errorf("range %+v", e)
	}
	if m.Errors[2].Expected != "1-2" || m.Errors[3].Expected != "1-4" || m.Errors[1].Expected != "HHMM" {
		t.Errorf("expected %+v", m.Errors)
	}
	if got := strings.Join(m.Errors[4].Tags, ","); got != "AE,AF,AG,AH,AI,AJ,AK,AL,AM" {
		t.Errorf("missing %s", got)
	}
	// A bare yes/no tag means yes.
	m = p.Parse("VO1234AA117AB0930ADAE1AF1AG2AH2AI2AJ2AK2AL2AM2AN2")
	if !m.OK() || !m.Answers["boxes_sealed"].Equal(form.BoolValue(true)) {
		t.Errorf("bare tag: %v %v", m.Answers, m.Errors)
	}
	// Three-digit times gain their leading zero.
	m = p.Parse("VO1234AA117AB930AD1AE1AF1AG2AH2AI2AJ2AK2AL2AM2AN2")
	if !m.Answers["arrival_time"].Equal(form.TextValue("09:30")) {
		t.Errorf("time %v", m.Answers["arrival_time"])
	}
}

func TestParseProtocol(t *testing.T) {
	p := testParser(t)
	text := "CO77 AA12 AB2015 AC1 AD1 AE1 AF1 AG2 AH1 AI1 AJ2 AK2 AL2 AM2 " +
		"PA1500 PB1500 PC812 PD688 PE810 PF12 PG798 VA601 VB150 VC47"
	m := p.Parse(text)
	if !m.OK() {
		t.Fatalf("errors %v", m.Errors)
	}
	q := m.Form.Question(form.ProtocolID)
	figs, votes, err := form.ProtocolFigures(q, m.Answers[form.ProtocolID], 3)
	if err != nil {
		t.Fatal(err)
	}
	if figs.Value(election.Registered) != 1500 || figs.Value(election.BallotsIssued) != 812 || figs.Value(election.Valid) != 798 {
		t.Errorf("figures %v", figs.Map())
	}
	if !reflect.DeepEqual(votes, []int64{601, 150, 47}) {
		t.Errorf("votes %v", votes)
	}
	// Missing protocol lines are named.
	m = p.Parse("CO77 AA12 AB2015 AC1 AD1 AE1 AF1 AG2 AH1 AI1 AJ2 AK2 AL2 AM2 PA1500 VA601")
	if len(m.Errors) != 1 || strings.Join(m.Errors[0].Tags, ",") != "PB,PC,PD,PE,PF,PG,VB,VC" {
		t.Errorf("errors %+v", m.Errors)
	}
}

func TestParseIncidentComment(t *testing.T) {
	p := testParser(t)
	m := p.Parse("IN55 AA117 AB1420 AC3 AD1 @Man put a stack of ballots in the box")
	if !m.OK() || !m.Answers["description"].Equal(form.TextValue("Man put a stack of ballots in the box")) ||
		!m.Answers["category"].Equal(form.TextValue("ballot_box_stuffing")) {
		t.Fatalf("%v %v", m.Answers, m.Errors)
	}
	if errs := form.Validate(m.Form, m.Answers); len(errs) > 0 {
		t.Errorf("validate %v", errs)
	}
	m = p.Parse("IN55AB1420AC3")
	if len(m.Errors) != 1 || m.Errors[0].Code != ErrNoComment {
		t.Fatalf("errors %v", m.Errors)
	}
	if r := p.Reply(m, English); r != "IN55: add a description after @. Send corrections." {
		t.Errorf("reply %q", r)
	}
}

func TestNewParserErrors(t *testing.T) {
	a, b := form.VotingTemplate(), form.VotingTemplate()
	b.ID = "voting2"
	if _, err := NewParser(a, b); err == nil || !strings.Contains(err.Error(), "share the prefix VO") {
		t.Errorf("duplicate prefix: %v", err)
	}
	c := form.VotingTemplate()
	c.Prefix = ""
	if _, err := NewParser(c); err == nil {
		t.Error("form without prefix accepted")
	}
}

func TestReplies(t *testing.T) {
	p := testParser(t)
	cases := []struct {
		text   string
		en, ru string
	}{
		{"XX1234AA1",
			`Unknown form code "XX". Use CO, IN, OP, TB, VO, XC, then your number, e.g. CO1234AA1`,
			`Неизвестный код формы "XX". Коды: CO, IN, OP, TB, VO, XC. Пример: CO1234AA1`},
		{"VOAA1", "Your observer number is missing after VO, e.g. VO1234AA1", "Нет номера наблюдателя после VO. Пример: VO1234AA1"},
		{"", "Empty report. Send form code, your number, then tags, e.g. CO1234AA1AB2", "Пустое сообщение. Пример: CO1234AA1AB2"},
		{"VO1234AA0AB2460AD3AN5ZZ1AE1AE2AF1AG2AH2AI2AJ2AK2AL2AM2",
			"VO1234: AA=0, must be >=1; AB=2460, use time HHMM; AD=3, use 1=yes 2=no; AN=5, use 1-4; no tag ZZ; AE sent twice (1,2). Send corrections.",
			"VO1234: AA=0, нужно >=1; AB=2460, нужно время ЧЧММ; AD=3, нужно 1=да 2=нет; AN=5, нужно 1-4. Ещё ошибок: 2. Пришлите исправления."},
		{"CO77AA12", "CO77: missing AB,AC,AD,AE,AF,AG,AH,AI,AJ,AK,AL,AM,PA,PB,PC,PD,PE,PF,PG,VA,VB,VC. Send corrections.",
			"CO77: нет AB,AC,AD,AE,AF,AG,AH,AI,AJ,AK,AL,AM,PA,PB,PC,PD,PE,PF,PG,VA,VB,VC. Пришлите исправления."},
	}
	for _, c := range cases {
		m := p.Parse(c.text)
		if got := p.Reply(m, English); got != c.en {
			t.Errorf("%q en:\n got %s\nwant %s", c.text, got, c.en)
		}
		if got := p.Reply(m, Russian); got != c.ru {
			t.Errorf("%q ru:\n got %s\nwant %s", c.text, got, c.ru)
		}
	}
}

func TestReplyBudget(t *testing.T) {
	p := testParser(t)
	// Many problems: the reply stays within budget and counts the rest.
	text := "VO1234AA0AB9999AD7AE7AF7AG7AH7AI7AJ7AK7AL7AM7AN7ZZ1ZY1ZX1ZW1 xx9"
	m := p.Parse(text)
	for _, lang := range []Lang{English, Russian} {
		r := p.Reply(m, lang)
		if n := utf8.RuneCountInString(r); n > Budget(lang) {
			t.Errorf("%s reply %d characters > %d: %s", lang, n, Budget(lang), r)
		}
		if !strings.Contains(r, "+") && !strings.Contains(r, "Ещё") {
			t.Errorf("%s reply does not count the rest: %s", lang, r)
		}
	}
	if enc, n := Segments(p.Reply(m, English)); enc != GSM7 || n != 1 {
		t.Errorf("English reply: %s, %d segments", enc, n)
	}
	if enc, n := Segments(p.Reply(m, Russian)); enc != UCS2 || n > 2 {
		t.Errorf("Russian reply: %s, %d segments", enc, n)
	}
}

func TestCatalogueComplete(t *testing.T) {
	for lang, msgs := range catalogue {
		for k, s := range msgs {
			if s == "" {
				t.Errorf("%s: message %d missing", lang, k)
			}
			if strings.Count(s, "%") != strings.Count(catalogue[English][k], "%") {
				t.Errorf("%s: message %d has other verbs than English: %q", lang, k, s)
			}
		}
	}
	if ParseLang("ru-RU") != Russian || ParseLang("Русский") != Russian || ParseLang("kk") != English {
		t.Error("ParseLang")
	}
}

func TestSegments(t *testing.T) {
	cases := []struct {
		s   string
		enc Encoding
		n   int
	}{
		{"", GSM7, 1},
		{"Thank you", GSM7, 1},
		{strings.Repeat("a", 160), GSM7, 1},
		{strings.Repeat("a", 161), GSM7, 2},
		{strings.Repeat("a", 306), GSM7, 2},
		{strings.Repeat("a", 307), GSM7, 3},
		{strings.Repeat("€", 80), GSM7, 1}, // 160 septets
		{strings.Repeat("€", 81), GSM7, 2},
		{strings.Repeat("я", 70), UCS2, 1},
		{strings.Repeat("я", 71), UCS2, 2},
		{strings.Repeat("я", 134), UCS2, 2},
		{strings.Repeat("я", 135), UCS2, 3},
		{"ok 😀", UCS2, 1},
	}
	for _, c := range cases {
		enc, n := Segments(c.s)
		if enc != c.enc || n != c.n {
			t.Errorf("%.20q…: %s %d, want %s %d", c.s, enc, n, c.enc, c.n)
		}
	}
}

// Vectors from twilio-python's tests of its RequestValidator.
func TestTwilioSignature(t *testing.T) {
	const token = "12345"
	const uri = "https://mycompany.com/myapp.php?foo=1&bar=2"
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Digits": {"1234"}, "From": {"+14158675309"},
		"To": {"+18005551212"}, "Caller": {"+14158675309"},
	}
	if got := TwilioSignature(token, uri, params); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("signature %s", got)
	}
	dup := url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234"}}
	if got := TwilioSignature(token, uri, dup); got != "IK+Dwps556ElfBT0I3Rgjkr1wJU=" {
		t.Errorf("repeated parameter: %s", got)
	}
	for _, c := range []struct {
		uri, sig string
		ok       bool
	}{
		{uri, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true},
		{strings.Replace(uri, ".com", ".com:1234", 1), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true}, // port removed
		{strings.Replace(strings.Replace(uri, ".com", ".com:1234", 1), "https", "http", 1), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", true},
		{uri, "kvajT1Ptam85bY51eRf/AJRuM3w=", true},                                      // signed with :443
		{strings.Replace(uri, "https", "http", 1), "0ZXoZLH/DfblKGATFgpif+LLRf4=", true}, // signed with :80
		{uri, "RSOYDt4T1cUTdK1PDd93/VVr8B9=", false},
		{uri, "", false},
		{"https://mycompany.com/myapp.php?foo=1&bar=3", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false},
	} {
		if got := VerifyTwilio(token, c.uri, params, c.sig); got != c.ok {
			t.Errorf("VerifyTwilio(%s, %s) = %v", c.uri, c.sig, got)
		}
	}
	if VerifyTwilio("", uri, params, TwilioSignature("", uri, params)) {
		t.Error("empty token verified")
	}
	tampered := url.Values{}
	for k, v := range params {
		tampered[k] = v
	}
	tampered.Set("Digits", "9999")
	if VerifyTwilio(token, uri, tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Error("tampered parameters verified")
	}
}

func TestTwilioInboundAndReply(t *testing.T) {
	in, err := TwilioInbound(url.Values{"MessageSid": {"SM123"}, "From": {"+77011234567"}, "To": {"+77000000000"}, "Body": {fullVoting}})
	if err != nil || in.Provider != "twilio" || in.MessageID != "SM123" || in.From != "+77011234567" || in.Body != fullVoting {
		t.Errorf("%+v %v", in, err)
	}
	if _, err := TwilioInbound(url.Values{"Body": {"x"}}); err != ErrBadWebhook {
		t.Errorf("err %v", err)
	}
	if in, _ := TwilioInbound(url.Values{"SmsSid": {"SM9"}, "From": {"+1"}}); in.MessageID != "SM9" {
		t.Errorf("SmsSid fallback: %+v", in)
	}
	got := string(TwilioReply(`AA=0 <must> be >=1 & "AB"`))
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Message>AA=0 &lt;must&gt; be &gt;=1 &amp; "AB"</Message></Response>` + "\n"
	if got != want {
		t.Errorf("TwiML %s", got)
	}
	if !strings.Contains(string(TwilioReply("")), "<Response></Response>") {
		t.Error("empty TwiML")
	}
}

func TestTelerivet(t *testing.T) {
	params := url.Values{"secret": {"s3cret"}, "event": {"incoming_message"}, "id": {"SMe2f"}, "from_number": {"+77011234567"},
		"to_number": {"+77000000000"}, "content": {fullVoting}, "phone_id": {"PN1"}}
	in, err := TelerivetInbound(params, "s3cret")
	if err != nil || in.Provider != "telerivet" || in.MessageID != "SMe2f" || in.Body != fullVoting || in.To != "+77000000000" {
		t.Errorf("%+v %v", in, err)
	}
	if _, err := TelerivetInbound(params, "other"); err != ErrBadSecret {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := TelerivetInbound(params, ""); err != ErrBadSecret {
		t.Errorf("empty configured secret: %v", err)
	}
	status := url.Values{"secret": {"s3cret"}, "event": {"send_status"}, "id": {"x"}}
	if _, err := TelerivetInbound(status, "s3cret"); err != ErrBadWebhook {
		t.Errorf("other event: %v", err)
	}
	var body struct {
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(TelerivetReply("Спасибо & <ok>"), &body); err != nil || len(body.Messages) != 1 || body.Messages[0].Content != "Спасибо & <ok>" {
		t.Errorf("%+v %v", body, err)
	}
	if string(TelerivetReply("")) != `{"messages":[]}` {
		t.Errorf("empty reply %s", TelerivetReply(""))
	}
}

func FuzzParse(f *testing.F) {
	p := testParser(f)
	for _, s := range []string{
		fullVoting, fullVoting + "@comment", "", "@", "XX1", "VO", "VOAA1", "vo l2o4 aal ab",
		"CO77AA12PA1500VA601VB150VC47", "XC1MC123SC3OB1AA9", "XC1AA1AA2", "VО1234АА117", "XC1AA1ЖOB2",
		"VO1234AA99999999999999999999999", "XCiiiiAAoooOBlll", strings.Repeat("AA1", 50),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := p.Parse(s)
		for _, lang := range []Lang{English, Russian} {
			if r := p.Reply(m, lang); r == "" || !utf8.ValidString(r) {
				t.Fatalf("reply %q", r)
			}
		}
		if m.Form == nil {
			if len(m.Answers) > 0 {
				t.Fatal("answers without a form")
			}
			return
		}
		// Whatever was read is of the right type and in range: only
		// missing answers may fail validation.
		for _, e := range form.Validate(m.Form, m.Answers) {
			if e.Value != "" {
				t.Fatalf("SMS answer fails validation: %v (%q)", e, s)
			}
		}
		if m.OK() && (m.Observer == "" || len(m.Raw) == 0 && len(m.Form.Questions) > 0 && hasRequiredTag(m.Form)) {
			t.Fatalf("OK message without observer or tags: %+v", m)
		}
	})
}

func hasRequiredTag(f *form.Form) bool {
	for _, q := range f.Questions {
		if q.Required && q.SMS != "" && q.Relevant == "" {
			return true
		}
	}
	return false
}

func TestErrorString(t *testing.T) {
	one, ten := int64(1), int64(10)
	for e, want := range map[*Error]string{
		{Code: ErrMissing, Tags: []string{"AA", "AB"}}:                     "missing: AA,AB",
		{Code: ErrOutOfRange, Tag: "AA", Value: "0", Min: &one, Max: &ten}: "out_of_range: AA=0 (1-10)",
		{Code: ErrOutOfRange, Tag: "AA", Value: "11", Max: &ten}:           "out_of_range: AA=11 (<=10)",
		{Code: ErrBadValue, Tag: "AD", Value: "3", Expected: "1-2"}:        "bad_value: AD=3 (want 1-2)",
		{Code: ErrUnreadable, Value: "C2"}:                                 "unreadable: C2",
		{Code: ErrEmpty}:                                                   "empty",
	} {
		if got := e.String(); got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

// TestProtocolLineBound: a protocol line above election.MaxCount is out of
// range in the parser, with the bound in the reply (found by FuzzParse).
func TestProtocolLineBound(t *testing.T) {
	p := testParser(t)
	m := p.Parse("CO0PA10000000001")
	if len(m.Errors) == 0 || m.Errors[0].Code != ErrOutOfRange {
		t.Fatalf("%+v", m.Errors)
	}
	if r := p.Reply(m, English); !strings.Contains(r, "PA=10000000001") || !strings.Contains(r, "10000000000") {
		t.Fatalf("reply %q", r)
	}
}
