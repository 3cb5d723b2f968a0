package web

import (
	"html/template"
	"io"
	"strings"
	"text/template/parse"
)

// Pre-translation. A page's fixed words are actions that translate a
// literal key ({{t "area.source"}}) or name the language ({{lang}}). Each
// costs two reflective calls as the page renders (the function and the
// escaper html/template adds after it): on a station page, a few dozen of
// them (318 of its 2,628 allocations), where the template was the largest
// share of a cold page's CPU once its reads were cut to two statements.
// Their text depends only on the language, so each language's clone of the
// template set has them replaced by their text, escaped exactly as
// html/template would have escaped it where it stands.
//
// Where an action stands is learnt from html/template itself: a probe clone
// of the set is escaped, and the escapers it appended to each action name
// its context. Only actions in HTML text, a quoted attribute's value or
// RCDATA (a <title>) are replaced; one in a script, a style or a URL keeps
// its call, as does one whose template is escaped in two contexts.
// TestPretranslatedPagesAreTheSame renders the pages with and without.

// pretranslateOff turns pre-translation off (a test compares the pages).
var pretranslateOff bool

// actionAt names an action: its template and its offset in the source.
type actionAt struct {
	name string
	pos  parse.Pos
}

// textContexts returns, for every pre-translatable action of base, the
// escaper html/template puts after it, when that is one we reproduce.
func textContexts(base *template.Template) (map[actionAt]string, error) {
	probe, err := base.Clone()
	if err != nil {
		return nil, err
	}
	// Escaping happens on the first execution, before the data is looked
	// at: the error of running with no data is not ours. The pages first,
	// which escape what they call in the contexts they call it in; then
	// the templates Go executes by name (enav), in HTML text, as it does.
	// One of those a page also calls in another context is then escaped
	// in two, and left alone.
	for _, pages := range []bool{true, false} {
		for _, x := range probe.Templates() {
			if strings.HasSuffix(x.Name(), ".html") == pages && !strings.Contains(x.Name(), "$htmltemplate") {
				_ = x.Execute(io.Discard, nil)
			}
		}
	}
	seen := map[actionAt]string{}
	for _, x := range probe.Templates() {
		if x.Tree == nil || x.Tree.Root == nil {
			continue
		}
		// A template escaped for another context is a copy named
		// "name$htmltemplate_…" with the same offsets.
		name, _, _ := strings.Cut(x.Name(), "$htmltemplate")
		walkActions(x.Tree.Root, func(a *parse.ActionNode) parse.Node {
			if _, ok := literalCall(a.Pipe, 1); !ok {
				return a
			}
			var esc []string
			for _, c := range a.Pipe.Cmds[1:] {
				id, ok := c.Args[0].(*parse.IdentifierNode)
				if !ok || len(c.Args) != 1 {
					esc = append(esc, "?")
					continue
				}
				esc = append(esc, id.Ident)
			}
			k := actionAt{name, a.Pos}
			e := strings.Join(esc, "|")
			if old, ok := seen[k]; ok && old != e {
				e = "?" // two contexts: leave it
			}
			seen[k] = e
			return a
		})
	}
	out := map[actionAt]string{}
	for k, e := range seen {
		if textEscapers[e] {
			out[k] = e
		}
	}
	return out, nil
}

// textEscapers are the escapers whose output pretranslate reproduces: for
// a string, each gives what EscapeText gives (FuzzEscapeText holds the
// three to it).
var textEscapers = map[string]bool{
	"_html_template_htmlescaper":   true,
	"_html_template_attrescaper":   true,
	"_html_template_rcdataescaper": true,
}

// pretranslate replaces, in t (a language's clone of the set, not yet
// executed), the actions of contexts with their text in the language of
// c.
func pretranslate(t *template.Template, contexts map[actionAt]string, c *catalogue) {
	if pretranslateOff {
		return
	}
	for _, x := range t.Templates() {
		if x.Tree == nil || x.Tree.Root == nil {
			continue
		}
		name := x.Name()
		walkActions(x.Tree.Root, func(a *parse.ActionNode) parse.Node {
			if _, ok := contexts[actionAt{name, a.Pos}]; !ok {
				return a
			}
			text, ok := literalCall(a.Pipe, 0)
			if !ok {
				return a
			}
			switch a.Pipe.Cmds[0].Args[0].(*parse.IdentifierNode).Ident {
			case "t":
				text = c.T(text)
			case "lang":
				text = c.Tag
			}
			return &parse.TextNode{NodeType: parse.NodeText, Pos: a.Pos, Text: []byte(EscapeText(text))}
		})
	}
}

// literalCall reports whether pipe is {{t "key"}} or {{lang}} followed by
// extra commands (the escapers, once escaped), and the key.
func literalCall(pipe *parse.PipeNode, extra int) (string, bool) {
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) == 0 || extra == 0 && len(pipe.Cmds) != 1 || extra > 0 && len(pipe.Cmds) < 2 {
		return "", false
	}
	args := pipe.Cmds[0].Args
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return "", false
	}
	switch {
	case id.Ident == "t" && len(args) == 2:
		s, ok := args[1].(*parse.StringNode)
		if !ok {
			return "", false
		}
		return s.Text, true
	case id.Ident == "lang" && len(args) == 1:
		return "", true
	}
	return "", false
}

// walkActions calls fn on every action under n, replacing it with what fn
// returns.
func walkActions(n parse.Node, fn func(*parse.ActionNode) parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for i, c := range n.Nodes {
			if a, ok := c.(*parse.ActionNode); ok {
				n.Nodes[i] = fn(a)
				continue
			}
			walkActions(c, fn)
		}
	case *parse.IfNode:
		walkActions(n.List, fn)
		walkActions(n.ElseList, fn)
	case *parse.RangeNode:
		walkActions(n.List, fn)
		walkActions(n.ElseList, fn)
	case *parse.WithNode:
		walkActions(n.List, fn)
		walkActions(n.ElseList, fn)
	}
}
