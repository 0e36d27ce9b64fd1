package sfsim

import (
	"fmt"
	"strings"
)

// token kinds of the SOQL/SOSL lexer.
const (
	tokEOF = iota
	tokIdent
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind int
	text string // identifier, decoded string literal, number or punctuation
	pos  int
}

func (t token) is(word string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, word) }

// lexer splits SOQL (and the part of SOSL after the search term) into tokens.
type lexer struct {
	src  string
	toks []token
	i    int
}

// soqlEscapes are the escape sequences SOQL string literals allow.
var soqlEscapes = map[byte]string{
	'n': "\n", 'N': "\n", 'r': "\r", 'R': "\r", 't': "\t", 'T': "\t", 'b': "\b", 'B': "\b",
	'f': "\f", 'F': "\f", '"': `"`, '\'': "'", '\\': `\`, '_': litUnderscore, '%': litPercent,
}

// An escaped LIKE wildcard decodes to a private-use rune, so LIKE can tell it
// from a wildcard; everything else reads it back as the plain character.
const (
	litUnderscore = "\uE000"
	litPercent    = "\uE001"
)

func plainLiteral(s string) string {
	return strings.NewReplacer(litUnderscore, "_", litPercent, "%").Replace(s)
}

func lex(src string) (*lexer, error) {
	l := &lexer{src: src}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			start := i
			var b strings.Builder
			i++
			for {
				if i >= len(src) {
					return nil, fmt.Errorf("unterminated string literal at position %d", start)
				}
				if src[i] == '\\' {
					if i+1 >= len(src) {
						return nil, fmt.Errorf("unterminated string literal at position %d", start)
					}
					esc, ok := soqlEscapes[src[i+1]]
					if !ok {
						return nil, fmt.Errorf("invalid escape sequence '\\%c' at position %d", src[i+1], i)
					}
					b.WriteString(esc)
					i += 2
					continue
				}
				if src[i] == '\'' {
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			l.toks = append(l.toks, token{tokString, b.String(), start})
		case isAlnum(c) && !(c >= '0' && c <= '9') || c == '_':
			start := i
			for i < len(src) && (isAlnum(src[i]) || src[i] == '_' || src[i] == '.') {
				i++
			}
			l.toks = append(l.toks, token{tokIdent, src[start:i], start})
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			start := i
			i++
			for i < len(src) && (src[i] >= '0' && src[i] <= '9' || src[i] == '.') {
				i++
			}
			l.toks = append(l.toks, token{tokNumber, src[start:i], start})
		default:
			start := i
			for _, p := range []string{"!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ","} {
				if strings.HasPrefix(src[i:], p) {
					l.toks = append(l.toks, token{tokPunct, p, start})
					i += len(p)
					break
				}
			}
			if i == start {
				return nil, fmt.Errorf("unexpected character '%c' at position %d", c, i)
			}
		}
	}
	l.toks = append(l.toks, token{kind: tokEOF, pos: len(src)})
	return l, nil
}

func (l *lexer) peek() token { return l.toks[l.i] }

func (l *lexer) next() token {
	t := l.toks[l.i]
	if t.kind != tokEOF {
		l.i++
	}
	return t
}

// accept consumes the next token if it is the keyword or punctuation given.
func (l *lexer) accept(word string) bool {
	t := l.peek()
	if t.is(word) || t.kind == tokPunct && t.text == word {
		l.i++
		return true
	}
	return false
}

func (l *lexer) expect(word string) error {
	if !l.accept(word) {
		return l.unexpected()
	}
	return nil
}

func (l *lexer) ident() (string, error) {
	t := l.peek()
	if t.kind != tokIdent {
		return "", l.unexpected()
	}
	l.i++
	return t.text, nil
}

func (l *lexer) unexpected() error {
	t := l.peek()
	if t.kind == tokEOF {
		return fmt.Errorf("unexpected end of query")
	}
	return fmt.Errorf("unexpected token: '%s' at position %d", t.text, t.pos)
}
