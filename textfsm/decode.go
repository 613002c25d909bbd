package textfsm

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Decode copies rows (as Parse returns them) into dst, a pointer to a slice of structs (or of
// pointers to structs), one element per row. A field takes the column named by its `textfsm`
// tag (`textfsm:"ip_address"`, `textfsm:"-"` to skip it), else the column whose name equals the
// field's name ignoring case and underscores (IPAddress <- ip_address). Field types: string,
// []string, map[string]string, []map[string]string, the integer, float and bool kinds (parsed
// from the text; an empty text leaves the zero value), and types implementing
// encoding.TextUnmarshaler. Columns without a field are ignored. Errors name the row and column.
func Decode(rows []map[string]any, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Slice {
		return fmt.Errorf("textfsm: Decode wants a pointer to a slice of structs, got %T", dst)
	}
	sl := v.Elem()
	et := sl.Type().Elem()
	ptr := et.Kind() == reflect.Pointer
	st := et
	if ptr {
		st = et.Elem()
	}
	if st.Kind() != reflect.Struct {
		return fmt.Errorf("textfsm: Decode wants a pointer to a slice of structs, got %T", dst)
	}
	fields := fieldMap(st)
	out := reflect.MakeSlice(sl.Type(), 0, len(rows))
	for i, row := range rows {
		elem := reflect.New(st).Elem()
		for col, val := range row {
			idx, ok := fields[normalize(col)]
			if !ok {
				continue
			}
			if err := assign(elem.FieldByIndex(idx), val); err != nil {
				return fmt.Errorf("textfsm: row %d column %s into %s.%s: %w", i, col, st.Name(), st.FieldByIndex(idx).Name, err)
			}
		}
		if ptr {
			out = reflect.Append(out, elem.Addr())
		} else {
			out = reflect.Append(out, elem)
		}
	}
	sl.Set(out)
	return nil
}

func normalize(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

func fieldMap(st reflect.Type) map[string][]int {
	m := map[string][]int{}
	for _, f := range reflect.VisibleFields(st) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("textfsm"); ok {
			if tag == "-" {
				continue
			}
			name = tag
		}
		m[normalize(name)] = f.Index
	}
	return m
}

var errType = errors.New("type mismatch")

type textUnmarshaler interface{ UnmarshalText([]byte) error }

func assign(f reflect.Value, val any) error {
	if val == nil {
		return nil
	}
	if f.CanAddr() {
		if u, ok := f.Addr().Interface().(textUnmarshaler); ok {
			s, ok := val.(string)
			if !ok {
				return fmt.Errorf("%w: %T into a text unmarshaler", errType, val)
			}
			if s == "" {
				return nil
			}
			return u.UnmarshalText([]byte(s))
		}
	}
	rv := reflect.ValueOf(val)
	if rv.Type().AssignableTo(f.Type()) {
		f.Set(rv)
		return nil
	}
	s, ok := val.(string)
	if !ok {
		if l, isList := val.([]string); isList && f.Kind() == reflect.String {
			f.SetString(strings.Join(l, "\n"))
			return nil
		}
		return fmt.Errorf("%w: %T into %s", errType, val, f.Type())
	}
	if f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String {
		if s != "" {
			f.Set(reflect.Append(reflect.MakeSlice(f.Type(), 0, 1), reflect.ValueOf(s).Convert(f.Type().Elem())))
		}
		return nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.ReplaceAll(s, ",", ""), 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(s))
		if err != nil {
			return err
		}
		f.SetBool(b)
	default:
		return fmt.Errorf("%w: string into %s", errType, f.Type())
	}
	return nil
}
