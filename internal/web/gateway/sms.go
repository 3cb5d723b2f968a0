package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/sms"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
	"github.com/vigil-elections/vigil/internal/web"
)

// Coded SMS through gateway webhooks:
//
//	POST /sms/twilio     Twilio's incoming-message webhook; X-Twilio-Signature
//	                     verified with VIGIL_TWILIO_AUTH_TOKEN over
//	                     VIGIL_PUBLIC_URL + the request path and query
//	POST /sms/telerivet  Telerivet's webhook; the "secret" parameter verified
//	                     against VIGIL_TELERIVET_SECRET
//
// Add ?lang=ru (or ?lang=kk) to the webhook URL for Russian (Kazakh) replies. The sender's phone
// number (as in the roster) identifies the observer and so the
// organisation; the message's observer number, when given, must be theirs
// or a team-mate's. The provider's message id deduplicates the gateway's
// retries: a repeat is answered with the first reply and stores nothing.
// The report's client id is "sms:PROVIDER:MESSAGEID".

func (s *room) smsRoutes() {
	s.Mux().HandleFunc("POST /sms/twilio", s.smsTwilio)
	s.Mux().HandleFunc("POST /sms/telerivet", s.smsTelerivet)
}

// publicURL is the scheme and host Twilio calls (Options.PublicURL), for
// its signature and OpenRosa's links.
func publicURL(opt web.Options) string { return strings.TrimSuffix(opt.PublicURL, "/") }

// maxWebhookBody bounds a gateway's POST: an SMS is at most a few
// kilobytes with its metadata.
const maxWebhookBody = 64 << 10

func (s *room) smsTwilio(w http.ResponseWriter, r *http.Request) {
	opt := s.Options()
	if opt.TwilioAuthToken == "" {
		http.Error(w, "Twilio is not configured on this server (VIGIL_TWILIO_AUTH_TOKEN)", http.StatusServiceUnavailable)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form body", http.StatusBadRequest)
		return
	}
	full := s.baseURL(r, publicURL(opt)) + r.URL.RequestURI()
	if !sms.VerifyTwilio(opt.TwilioAuthToken, full, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
		s.Log().Warn("twilio webhook: bad signature", "url", full)
		http.Error(w, "signature does not verify", http.StatusForbidden)
		return
	}
	in, err := sms.TwilioInbound(r.PostForm)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	reply, err := s.smsReceive(r.Context(), in, sms.ParseLang(r.URL.Query().Get("lang")))
	if err != nil {
		s.Log().Error("sms", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError) // the gateway retries
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(sms.TwilioReply(reply))
}

func (s *room) smsTelerivet(w http.ResponseWriter, r *http.Request) {
	opt := s.Options()
	if opt.TelerivetSecret == "" {
		http.Error(w, "Telerivet is not configured on this server (VIGIL_TELERIVET_SECRET)", http.StatusServiceUnavailable)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form body", http.StatusBadRequest)
		return
	}
	in, err := sms.TelerivetInbound(r.PostForm, opt.TelerivetSecret)
	switch {
	case errors.Is(err, sms.ErrBadSecret):
		http.Error(w, "secret does not match", http.StatusForbidden)
		return
	case err != nil:
		// Other events (delivery status…) are acknowledged and ignored.
		w.Header().Set("Content-Type", "application/json")
		w.Write(sms.TelerivetReply(""))
		return
	}
	reply, err := s.smsReceive(r.Context(), in, sms.ParseLang(r.URL.Query().Get("lang")))
	if err != nil {
		s.Log().Error("sms", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(sms.TelerivetReply(reply))
}

var smsText = map[sms.Lang]map[string]string{
	sms.English: {
		"unknown_phone": "vigil: this number (%s) is not on the observer roster. Ask your coordinator to add it.",
		"not_yours":     "vigil: observer %s is not you or your team-mate. Send your own observer number.",
		"refused":       "vigil: report %s not accepted: %s",
		"no_forms":      "vigil: your organisation has no SMS forms yet.",
		"receipt":       " Receipt %s.",
		"which_org":     "vigil: this number is on the rosters of %s. Send the report again starting with %s.",
		"not_shared":    "vigil: this number is on the rosters of several organisations that have not agreed to share it; nothing was stored. Ask your coordinator.",
		"org_choice":    "@%d for %s",
	},
	sms.Russian: {
		"unknown_phone": "vigil: номер %s не найден в списке наблюдателей. Попросите координатора добавить его.",
		"not_yours":     "vigil: наблюдатель %s — не вы и не ваш напарник. Укажите свой номер наблюдателя.",
		"refused":       "vigil: сообщение %s не принято: %s",
		"no_forms":      "vigil: у вашей организации ещё нет форм для SMS.",
		"receipt":       " Квитанция %s.",
		"which_org":     "vigil: этот номер есть в списках организаций: %s. Отправьте сообщение ещё раз, начав его с %s.",
		"not_shared":    "vigil: этот номер есть в списках нескольких организаций без их согласия; сообщение не сохранено. Обратитесь к координатору.",
		"org_choice":    "@%d для %s",
	},
	sms.Kazakh: {
		"unknown_phone": "vigil: %s нөмірі байқаушылар тізімінде жоқ. Үйлестірушіден оны қосуды сұраңыз.",
		"not_yours":     "vigil: %s байқаушысы — сіз де, серіктесіңіз де емес. Өз байқаушы нөміріңізді жазыңыз.",
		"refused":       "vigil: %s хабары қабылданбады: %s",
		"no_forms":      "vigil: ұйымыңызда SMS нысандары әлі жоқ.",
	},
}

// smsReceive handles one inbound message and returns the reply. Only a
// database failure is an error (the gateway then retries).
func (s *room) smsReceive(ctx context.Context, in sms.Inbound, lang sms.Lang) (string, error) {
	if old, err := s.DB().SMSByID(ctx, in.Provider, in.MessageID); err == nil {
		// A repeat gets the first reply, with the report's receipt.
		if old.ReportID != 0 {
			if rc, err := s.DB().Receipt(ctx, translog.Ref("reports", old.ReportID)); err == nil {
				return old.Reply + fmt.Sprintf(smsText[lang]["receipt"], rc.ShortCode()), nil
			}
		}
		return old.Reply, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	// A flood from one number gets no reply past its budget: every reply
	// is an SMS the mission pays for. Gateway retries of a message
	// already answered were handled above.
	from := in.From
	if p, err := observe.E164(from, ""); err == nil {
		from = p
	}
	if !s.AllowSMS(from) {
		s.Log().Warn("sms: over the number's limit: dropped without a reply", "from", in.From, "provider", in.Provider, "id", in.MessageID)
		return "", nil
	}
	msg := &store.SMSMessage{Provider: in.Provider, MessageID: in.MessageID, Sender: in.From, Body: in.Body}
	record := func(reply string) (string, error) {
		msg.Reply = reply
		_, err := store.InsertSMS(ctx, s.DB(), msg)
		return reply, err
	}
	owners, err := s.smsOwners(ctx, in.From)
	if err != nil {
		return "", err
	}
	if len(owners) == 0 {
		// One reply per window to a number not on any roster: enough for
		// an observer whose number was mistyped, nothing for a flood.
		if !s.AllowUnknownReply(from) {
			return record("")
		}
		return record(fmt.Sprintf(smsText[lang]["unknown_phone"], in.From))
	}
	body := in.Body
	if orgs := orgsOf(owners); len(orgs) > 1 {
		// Never guess: a report goes to an organisation the sender names,
		// and only among organisations that agreed to share the number.
		for i, a := range orgs {
			for _, b := range orgs[i+1:] {
				ok, err := s.DB().PhoneShared(ctx, owners[0].Phone, a, b)
				if err != nil {
					return "", err
				}
				if !ok {
					return record(smsText[lang]["not_shared"])
				}
			}
		}
		chosen, rest, ok := orgChoice(body)
		if !ok || !slices.Contains(orgs, chosen) {
			var names, choices []string
			for _, id := range orgs {
				o, err := s.DB().Organisation(ctx, id)
				if err != nil {
					return "", err
				}
				names = append(names, o.Name)
				choices = append(choices, fmt.Sprintf(smsText[lang]["org_choice"], id, o.Name))
			}
			return record(fmt.Sprintf(smsText[lang]["which_org"], strings.Join(names, ", "), strings.Join(choices, ", ")))
		}
		owners = slices.DeleteFunc(owners, func(o *store.Observer) bool { return o.OrgID != chosen })
		body = rest
	}
	sender := owners[0]
	msg.OrgID = sender.OrgID
	forms, err := s.DB().Forms(ctx, sender.OrgID)
	if err != nil {
		return "", err
	}
	var coded []*form.Form
	for _, sf := range forms {
		if sf.Form.Prefix != "" {
			coded = append(coded, sf.Form)
		}
	}
	if len(coded) == 0 {
		return record(smsText[lang]["no_forms"])
	}
	electionID, err := s.DB().CurrentElection(ctx, sender.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return record("no election in the database")
	} else if err != nil {
		return "", err
	}
	e, err := s.DB().Election(ctx, electionID)
	if err != nil {
		return "", err
	}
	for i, f := range coded {
		coded[i] = form.BindElection(f, e)
	}
	parser, err := sms.NewParser(coded...)
	if err != nil {
		return "", fmt.Errorf("sms parser for organisation %d: %w", sender.OrgID, err)
	}
	m := parser.Parse(body)
	if !m.OK() {
		return record(parser.Reply(m, lang))
	}
	author := sender
	if m.Observer != "" && strings.TrimLeft(m.Observer, "0") != strings.TrimLeft(sender.Code, "0") {
		o, err := s.DB().ObserverByCode(ctx, sender.OrgID, m.Observer)
		if err != nil || o.TeamID == 0 || o.TeamID != sender.TeamID {
			return record(fmt.Sprintf(smsText[lang]["not_yours"], m.Observer))
		}
		author = o
	}
	p, err := s.observerPrincipal(ctx, author)
	if err != nil {
		return "", err
	}
	msg.Reply = parser.Reply(m, lang)
	rc, err := s.SubmitReport(ctx, observe.Submission{Principal: p, Channel: observe.ChannelSMS, ClientID: "sms:" + in.Provider + ":" + in.MessageID,
		ElectionID: e.ID, Form: m.Form.ID, Version: m.Form.Version, Answers: m.Answers, SMS: msg})
	if err != nil {
		var ve *observe.ValidationError
		var ie *observe.InputError
		switch {
		case errors.As(err, &ve):
			return record(fmt.Sprintf(smsText[lang]["refused"], m.Prefix+m.Observer, problemsShort(ve.Problems)))
		case errors.As(err, &ie):
			return record(fmt.Sprintf(smsText[lang]["refused"], m.Prefix+m.Observer, ie.Msg))
		case errors.Is(err, access.ErrForbidden):
			return record(fmt.Sprintf(smsText[lang]["refused"], m.Prefix+m.Observer, strings.TrimPrefix(err.Error(), "forbidden: ")))
		}
		return "", err
	}
	// The receipt's short code: the leaf's index and the start of its
	// hash, which `vigil log prove --index N` turns into a proof.
	return msg.Reply + fmt.Sprintf(smsText[lang]["receipt"], rc.Leaf.ShortCode()), nil
}

// smsOwners finds the observers whose number sent a message: as E.164
// when the gateway wrote it internationally, else read in the country of
// each organisation that has one (a national number belongs to an
// organisation of its country only).
func (s *room) smsOwners(ctx context.Context, from string) ([]*store.Observer, error) {
	if p, err := observe.E164(from, ""); err == nil {
		return s.DB().ObserversByPhone(ctx, p)
	}
	countries, err := s.DB().OrgCountries(ctx)
	if err != nil {
		return nil, err
	}
	var out []*store.Observer
	for _, cc := range countries {
		p, err := observe.E164(from, cc)
		if err != nil {
			continue
		}
		obs, err := s.DB().ObserversByPhone(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, o := range obs {
			if occ, err := s.DB().OrgCountry(ctx, o.OrgID); err != nil {
				return nil, err
			} else if occ == cc {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// orgsOf lists the organisations of observers, in order.
func orgsOf(obs []*store.Observer) []int64 {
	var ids []int64
	for _, o := range obs {
		if !slices.Contains(ids, o.OrgID) {
			ids = append(ids, o.OrgID)
		}
	}
	slices.Sort(ids)
	return ids
}

// orgChoice reads a leading "@ID " that names the organisation a message
// from a shared number is for.
func orgChoice(body string) (int64, string, bool) {
	body = strings.TrimSpace(body)
	if !strings.HasPrefix(body, "@") {
		return 0, body, false
	}
	head, rest, _ := strings.Cut(body[1:], " ")
	id, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return 0, body, false
	}
	return id, strings.TrimSpace(rest), true
}

func problemsShort(ps []form.FieldError) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.Error())
	}
	return strings.Join(parts, "; ")
}

// observerPrincipal is the principal of an observer acting through a
// channel without a login (SMS).
func (s *room) observerPrincipal(ctx context.Context, o *store.Observer) (access.Principal, error) {
	p := access.Principal{Role: access.Observer, OrgID: o.OrgID, ObserverID: o.ID, Name: o.Code, Stations: map[string]bool{}}
	areas, err := s.DB().ObserverStations(ctx, o.ID)
	if err != nil {
		return p, err
	}
	for _, a := range areas {
		p.Stations[access.StationKey(a.Election, a.Path)] = true
	}
	return p, nil
}
