package check

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, ENV, …
	Args string // the rest of the line, trimmed
	Line int    // where it starts, 1-based
}

// stage is the instructions from one FROM to the next.
type stage struct {
	From         string // the image, e.g. golang:${GO_VERSION}
	Name         string // the AS name, if any
	Instructions []instruction
}

// dockerfile is a parsed Dockerfile: the ARGs before the first FROM and
// the stages.
type dockerfile struct {
	GlobalArgs []instruction
	Stages     []stage
}

// parseDockerfile reads the subset of Dockerfile syntax the checks need:
// comments, parser directives, backslash continuations (with comment lines
// inside them, as BuildKit allows) and instructions. Heredocs are not
// supported; they are reported as an error rather than misread.
func parseDockerfile(r io.Reader) (dockerfile, error) {
	var (
		df      dockerfile
		cur     strings.Builder
		start   int
		lineNum int
	)
	flush := func() error {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start}
		if strings.Contains(in.Args, "<<") && (in.Cmd == "RUN" || in.Cmd == "COPY") {
			return fmt.Errorf("line %d: heredocs are not supported by this check", start)
		}
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			st := stage{}
			for i := 0; i < len(f); i++ {
				switch {
				case strings.HasPrefix(f[i], "--"):
				case st.From == "":
					st.From = f[i]
				case strings.EqualFold(f[i], "AS") && i+1 < len(f):
					st.Name = f[i+1]
					i++
				}
			}
			if st.From == "" {
				return fmt.Errorf("line %d: FROM without an image", start)
			}
			df.Stages = append(df.Stages, st)
			return nil
		}
		if len(df.Stages) == 0 {
			if in.Cmd != "ARG" {
				return fmt.Errorf("line %d: %s before the first FROM", start, in.Cmd)
			}
			df.GlobalArgs = append(df.GlobalArgs, in)
			return nil
		}
		last := &df.Stages[len(df.Stages)-1]
		last.Instructions = append(last.Instructions, in)
		return nil
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lineNum++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue // blank lines, comments and directives, also inside continuations
		}
		if cur.Len() == 0 {
			start = lineNum
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont)
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		if err := flush(); err != nil {
			return dockerfile{}, err
		}
	}
	if err := sc.Err(); err != nil {
		return dockerfile{}, fmt.Errorf("read dockerfile: %w", err)
	}
	if cur.Len() > 0 {
		return dockerfile{}, fmt.Errorf("line %d: continuation at end of file", start)
	}
	if len(df.Stages) == 0 {
		return dockerfile{}, fmt.Errorf("no FROM")
	}
	return df, nil
}

// all returns the stage's instructions of the given command.
func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// keyValues parses the arguments of ENV, ARG or LABEL: `k=v k2="v 2"`, or
// the legacy `ENV k v` form, or a bare `ARG k`. Quotes are removed; a name
// without "=" has an empty value and hasValue false.
func keyValues(in instruction) ([]keyValue, error) {
	if in.Cmd == "ENV" {
		if name, value, ok := strings.Cut(in.Args, " "); ok && !strings.Contains(name, "=") {
			return []keyValue{{Name: name, Value: strings.TrimSpace(value), HasValue: true}}, nil
		}
	}
	var (
		out []keyValue
		s   = in.Args
	)
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		end := strings.IndexAny(s, "= ")
		if end < 0 || s[end] == ' ' {
			if end < 0 {
				end = len(s)
			}
			out = append(out, keyValue{Name: s[:end]})
			s = s[end:]
			continue
		}
		kv := keyValue{Name: s[:end], HasValue: true}
		s = s[end+1:]
		if strings.HasPrefix(s, `"`) {
			closing := strings.Index(s[1:], `"`)
			if closing < 0 {
				return nil, fmt.Errorf("line %d: unterminated quote", in.Line)
			}
			kv.Value, s = s[1:1+closing], s[2+closing:]
		} else {
			v, rest, _ := strings.Cut(s, " ")
			kv.Value, s = v, rest
		}
		out = append(out, kv)
	}
	return out, nil
}

// keyValue is one name and value from ENV, ARG or LABEL.
type keyValue struct {
	Name     string
	Value    string
	HasValue bool
}
