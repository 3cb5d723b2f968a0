package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Inbound is an incoming SMS as a gateway delivered it. Provider and
// MessageID together identify it: gateways retry webhooks, so the server
// stores each (Provider, MessageID) once and answers a repeat with the
// reply it gave the first time.
type Inbound struct {
	Provider  string // "twilio", "telerivet"
	MessageID string // the provider's message id
	From      string // the sender's number, E.164 as the gateway gives it
	To        string // the mission's number
	Body      string
}

// ErrBadWebhook is returned for webhook requests that lack what an
// incoming message needs.
var ErrBadWebhook = errors.New("sms: webhook request is not an incoming message")

// ---- Twilio ----

// TwilioSignature computes Twilio's X-Twilio-Signature for a request: the
// full URL Twilio requested (scheme, host, path and query string), then
// every POST parameter's name and value, sorted by name (values of a
// repeated name in sorted order), with no separators; HMAC-SHA1 keyed with
// the account's auth token; base64.
func TwilioSignature(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		vs := slices.Clone(params[k])
		slices.Sort(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyTwilio checks an X-Twilio-Signature header in constant time. The
// URL must be the one Twilio was given (behind a proxy, rebuild it from
// the configured public URL, not from the request's Host). As Twilio's own
// libraries do, it also accepts the signature computed over the URL without
// its port, or with the scheme's default port added, since Twilio may sign
// either form. An empty token or signature never verifies.
func VerifyTwilio(authToken, fullURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	ok := false
	for _, u := range urlVariants(fullURL) {
		want := TwilioSignature(authToken, u, params)
		// Compare all variants, no early exit: timing says nothing.
		if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1 {
			ok = true
		}
	}
	return ok
}

// urlVariants returns the URL as given, without its port, and with the
// default port of its scheme.
func urlVariants(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return out
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	noPort := *u
	noPort.Host = host
	out = append(out, noPort.String())
	port := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if port != "" && u.Port() == "" {
		withPort := *u
		withPort.Host = net.JoinHostPort(u.Hostname(), port)
		out = append(out, withPort.String())
	}
	return out
}

// TwilioInbound reads Twilio's incoming-message webhook parameters
// (MessageSid, From, To, Body; SmsSid in older requests).
func TwilioInbound(params url.Values) (Inbound, error) {
	in := Inbound{Provider: "twilio", MessageID: params.Get("MessageSid"), From: params.Get("From"), To: params.Get("To"), Body: params.Get("Body")}
	if in.MessageID == "" {
		in.MessageID = params.Get("SmsSid")
	}
	if in.MessageID == "" || in.From == "" {
		return Inbound{}, ErrBadWebhook
	}
	return in, nil
}

// TwilioReply writes the TwiML that answers an incoming message with one
// SMS, or none when text is empty. Serve it as text/xml.
func TwilioReply(text string) []byte {
	if text == "" {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response></Response>\n")
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response><Message>")
	b.WriteString(xmlEscaper.Replace(strings.ToValidUTF8(text, "")))
	b.WriteString("</Message></Response>\n")
	return []byte(b.String())
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// ---- Telerivet ----

// TelerivetInbound reads Telerivet's webhook parameters for an incoming
// message (event=incoming_message, id, from_number, to_number, content)
// after checking the webhook secret, sent as the "secret" POST parameter,
// in constant time. Other events are ErrBadWebhook; a wrong or missing
// secret is ErrBadSecret.
func TelerivetInbound(params url.Values, secret string) (Inbound, error) {
	if !VerifyTelerivet(params, secret) {
		return Inbound{}, ErrBadSecret
	}
	if params.Get("event") != "incoming_message" {
		return Inbound{}, ErrBadWebhook
	}
	// Telerivet reports missed calls, USSD and chat apps as incoming
	// messages too: only a text message is a report, and a missed call
	// (message_type=call) must not cost an SMS reply.
	if mt := params.Get("message_type"); mt != "" && mt != "sms" {
		return Inbound{}, ErrBadWebhook
	}
	in := Inbound{Provider: "telerivet", MessageID: params.Get("id"), From: params.Get("from_number"), To: params.Get("to_number"), Body: params.Get("content")}
	if in.MessageID == "" || in.From == "" {
		return Inbound{}, ErrBadWebhook
	}
	return in, nil
}

// ErrBadSecret is returned when a webhook's shared secret does not match.
var ErrBadSecret = errors.New("sms: webhook secret does not match")

// VerifyTelerivet checks the webhook secret in constant time. An empty
// configured secret never verifies.
func VerifyTelerivet(params url.Values, secret string) bool {
	got := params.Get("secret")
	if secret == "" || got == "" {
		return false
	}
	// Compare fixed-length digests so that the length of the secret does
	// not leak through timing either.
	a, b := sha1.Sum([]byte(got)), sha1.Sum([]byte(secret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// TelerivetReply writes the JSON that makes Telerivet send a reply
// ({"messages":[{"content":…}]}), or none when text is empty. Serve it as
// application/json.
func TelerivetReply(text string) []byte {
	type message struct {
		Content string `json:"content"`
	}
	body := struct {
		Messages []message `json:"messages"`
	}{Messages: []message{}}
	if text != "" {
		body.Messages = append(body.Messages, message{Content: text})
	}
	b, _ := json.Marshal(body) // cannot fail: strings only
	return b
}
