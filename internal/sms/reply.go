package sms

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// Lang is a reply language.
type Lang string

// The reply languages.
const (
	English Lang = "en"
	Russian Lang = "ru"
	Kazakh  Lang = "kk"
)

// ParseLang reads a language tag ("ru", "ru-RU", "Russian", "kk",
// "Қазақша"); anything else is English.
func ParseLang(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "ru") || s == "русский":
		return Russian
	case s == "kk" || strings.HasPrefix(s, "kk-") || s == "kazakh" || s == "қазақша":
		return Kazakh
	}
	return English
}

// msg keys the reply catalogue.
type msg int

const (
	msgOK msg = iota
	msgEmpty
	msgUnknownForm
	msgNoObserver
	msgHeader
	msgUnreadable
	msgUnknownTag
	msgNoValue
	msgBadYesNo
	msgBadValue
	msgBadTime
	msgOutOfRange
	msgConflict
	msgMissing
	msgNoComment
	msgTrailer
	msgMore
	numMsgs
)

// catalogue holds every reply text in every language, in one place so that
// translators see them together; a test checks that none is missing and
// that the verbs match. The texts are terse because an SMS is short:
// English fits one GSM-7 segment (160), Russian is UCS-2 (70 characters a
// segment, 67 when concatenated), so its replies aim at two segments.
var catalogue = map[Lang][numMsgs]string{
	English: {
		msgOK:          "Thank you. %s: %d answers received.",
		msgEmpty:       "Empty report. Send form code, your number, then tags, e.g. %s1234AA1AB2",
		msgUnknownForm: "Unknown form code %q. Use %s, then your number, e.g. %s1234AA1",
		msgNoObserver:  "Your observer number is missing after %s, e.g. %s1234AA1",
		msgHeader:      "%s:",
		msgUnreadable:  "unreadable %q",
		msgUnknownTag:  "no tag %s",
		msgNoValue:     "%s has no value",
		msgBadYesNo:    "%s=%s, use 1=yes 2=no",
		msgBadValue:    "%s=%s, use %s",
		msgBadTime:     "%s=%s, use time HHMM",
		msgOutOfRange:  "%s=%s, must be %s",
		msgConflict:    "%s sent twice (%s)",
		msgMissing:     "missing %s",
		msgNoComment:   "add a description after @",
		msgTrailer:     " Send corrections.",
		msgMore:        " +%d more.",
	},
	Russian: {
		msgOK:          "Спасибо. %s: принято ответов: %d.",
		msgEmpty:       "Пустое сообщение. Пример: %s1234AA1AB2",
		msgUnknownForm: "Неизвестный код формы %q. Коды: %s. Пример: %s1234AA1",
		msgNoObserver:  "Нет номера наблюдателя после %s. Пример: %s1234AA1",
		msgHeader:      "%s:",
		msgUnreadable:  "непонятно %q",
		msgUnknownTag:  "нет тега %s",
		msgNoValue:     "%s без значения",
		msgBadYesNo:    "%s=%s, нужно 1=да 2=нет",
		msgBadValue:    "%s=%s, нужно %s",
		msgBadTime:     "%s=%s, нужно время ЧЧММ",
		msgOutOfRange:  "%s=%s, нужно %s",
		msgConflict:    "%s дважды (%s)",
		msgMissing:     "нет %s",
		msgNoComment:   "добавьте описание после @",
		msgTrailer:     " Пришлите исправления.",
		msgMore:        " Ещё ошибок: %d.",
	},
	Kazakh: {
		msgOK:          "Рахмет. %s: қабылданған жауаптар: %d.",
		msgEmpty:       "Бос хабар. Мысалы: %s1234AA1AB2",
		msgUnknownForm: "Белгісіз нысан коды %q. Кодтар: %s. Мысалы: %s1234AA1",
		msgNoObserver:  "%s кейін байқаушы нөмірі жоқ. Мысалы: %s1234AA1",
		msgHeader:      "%s:",
		msgUnreadable:  "түсініксіз %q",
		msgUnknownTag:  "%s тегі жоқ",
		msgNoValue:     "%s мәнсіз",
		msgBadYesNo:    "%s=%s, керегі 1=иә 2=жоқ",
		msgBadValue:    "%s=%s, керегі %s",
		msgBadTime:     "%s=%s, керегі уақыт ССММ",
		msgOutOfRange:  "%s=%s, керегі %s",
		msgConflict:    "%s екі рет (%s)",
		msgMissing:     "%s жоқ",
		msgNoComment:   "@ белгісінен кейін сипаттама қосыңыз",
		msgTrailer:     " Түзетулерді жіберіңіз.",
		msgMore:        " Тағы қателер: %d.",
	},
}

// Budget is the length a reply aims at, in characters: one GSM-7 segment
// for English, two concatenated UCS-2 segments for Russian (a single UCS-2
// segment holds only 70 characters, too few to say what was wrong); Kazakh
// is UCS-2 too.
func Budget(lang Lang) int {
	if lang == Russian || lang == Kazakh {
		return 2 * 67
	}
	return 160
}

func text(lang Lang, k msg, a ...any) string {
	c, ok := catalogue[lang]
	if !ok {
		c = catalogue[English]
	}
	return fmt.Sprintf(c[k], a...)
}

// Reply writes the answer to a parsed message in lang: a thanks with the
// count of answers, or what was wrong or missing, in the order found, as
// many problems as fit in Budget(lang) and a count of the rest. Replies to
// messages without a known form list the parser's prefixes and give an
// example with the first.
func (p *Parser) Reply(m *Message, lang Lang) string {
	prefixes := p.Prefixes()
	example := "VO"
	if len(prefixes) > 0 {
		example = prefixes[0]
	}
	if m.OK() {
		return text(lang, msgOK, m.Prefix+m.Observer, len(m.Answers))
	}
	// Problems that stop the parse come alone.
	for _, e := range m.Errors {
		switch e.Code {
		case ErrEmpty:
			return text(lang, msgEmpty, example)
		case ErrUnknownForm:
			return text(lang, msgUnknownForm, e.Value, strings.Join(prefixes, ", "), example)
		case ErrNoObserver:
			return text(lang, msgNoObserver, e.Value, e.Value)
		}
	}
	var parts []string
	for _, e := range m.Errors {
		parts = append(parts, fragment(lang, m, e))
	}
	return fit(text(lang, msgHeader, m.Prefix+m.Observer), parts, text(lang, msgTrailer), lang)
}

func fragment(lang Lang, m *Message, e Error) string {
	switch e.Code {
	case ErrUnreadable:
		return text(lang, msgUnreadable, clip(e.Value, 12))
	case ErrUnknownTag:
		return text(lang, msgUnknownTag, e.Tag)
	case ErrNoValue:
		return text(lang, msgNoValue, e.Tag)
	case ErrBadValue:
		if q := m.Form.Question(e.Question); q != nil {
			switch q.Type {
			case form.YesNo:
				return text(lang, msgBadYesNo, e.Tag, e.Value)
			case form.Time:
				return text(lang, msgBadTime, e.Tag, e.Value)
			}
		}
		return text(lang, msgBadValue, e.Tag, e.Value, e.Expected)
	case ErrOutOfRange:
		return text(lang, msgOutOfRange, e.Tag, clip(e.Value, 12), rangeText(e.Min, e.Max))
	case ErrConflict:
		return text(lang, msgConflict, e.Tag, e.Value)
	case ErrMissing:
		return text(lang, msgMissing, strings.Join(e.Tags, ","))
	case ErrNoComment:
		return text(lang, msgNoComment)
	}
	return string(e.Code)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// fit joins header, as many parts as fit in the budget, and the trailer;
// parts that do not fit are counted. A part too long on its own (a long
// list of missing tags) is cut.
func fit(header string, parts []string, trailer string, lang Lang) string {
	budget := Budget(lang)
	n := utf8.RuneCountInString
	out := header
	used := 0
	for i, p := range parts {
		sep := " "
		if used > 0 {
			sep = "; "
		}
		rest := len(parts) - i - 1
		reserve := n(trailer)
		if rest > 0 {
			reserve += n(text(lang, msgMore, rest)) + 1
		}
		if n(out)+n(sep)+n(p)+1+reserve <= budget {
			out += sep + p
			used++
			continue
		}
		if used == 0 {
			room := budget - n(out) - n(sep) - 1 - reserve
			if room > 8 {
				out += sep + clip(p, room)
				used++
				continue
			}
		}
		break
	}
	out += "."
	if left := len(parts) - used; left > 0 {
		out += text(lang, msgMore, left)
	}
	return out + trailer
}

// Encoding is how an SMS text travels.
type Encoding string

// The SMS encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// gsm7 is the GSM 03.38 default alphabet; gsm7ext the characters of its
// extension table, which take two septets each.
const (
	gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7ext = "^{}\\[~]|€\f"
)

// Segments returns the encoding a text needs and how many SMS segments it
// takes: GSM-7 holds 160 septets in one segment, 153 in each of several;
// UCS-2 holds 70 UTF-16 units in one, 67 in each of several.
func Segments(s string) (Encoding, int) {
	septets := 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsm7ext, r):
			septets += 2
		case strings.ContainsRune(gsm7, r):
			septets++
		default:
			units := len(utf16.Encode([]rune(s)))
			return UCS2, count(units, 70, 67)
		}
	}
	return GSM7, count(septets, 160, 153)
}

func count(n, single, multi int) int {
	if n == 0 {
		return 1
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
