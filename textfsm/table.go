package textfsm

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Table is a parsed output: the template's columns, in its order, and one row per record.
// It marshals to JSON as its rows alone (a list of objects, as Netmiko returns them).
type Table struct {
	// Command is the command whose output was parsed.
	Command string
	// Template is the template's path.
	Template string
	// Columns are the template's values, lower-cased, in declaration order.
	Columns []string
	// Rows are the records.
	Rows []map[string]any
}

// ParseTable is Parse returning a Table.
func (ix *Index) ParseTable(platform, command, output string) (*Table, error) {
	t, err := ix.Lookup(platform, command)
	if err != nil {
		return nil, err
	}
	rows, err := t.Parse(output)
	if err != nil {
		return nil, err
	}
	return &Table{Command: command, Template: t.Name(), Columns: t.Columns(), Rows: rows}, nil
}

// MarshalJSON returns the rows as a JSON list of objects.
func (t *Table) MarshalJSON() ([]byte, error) {
	if t.Rows == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(t.Rows)
}

// WriteText writes the table aligned in columns, a header line first; list values are joined
// with commas.
func (t *Table) WriteText(w io.Writer) error {
	cols := t.Columns
	if len(cols) == 0 && len(t.Rows) > 0 {
		for k := range t.Rows[0] {
			cols = append(cols, k)
		}
		slices.Sort(cols)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range t.Rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = Cell(r[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// String returns the table as WriteText writes it.
func (t *Table) String() string {
	var b strings.Builder
	_ = t.WriteText(&b)
	return b.String()
}

// Cell formats a value of a row for a table cell: lists joined with commas, tabs and line
// ends replaced by spaces.
func Cell(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
	case string:
		s = x
	case []string:
		s = strings.Join(x, ",")
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
