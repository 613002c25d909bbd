// Package textfsm turns the text a network device prints into rows: TextFSM templates picked by
// platform and command through an ntc-templates style index, the way Netmiko's use_textfsm and
// scrapligo's TextFsmParse do.
//
// A templates directory holds the templates and an "index" file (ntc-templates' format: a
// header line "Template, Hostname, Platform, Command", then one line per template, with the
// command written with completions such as "sh[[ow]] ver[[sion]]"). [LoadIndex] reads it;
// [Index.Parse] parses a command's output for a platform into []map[string]any, one map per
// record, keys lower-cased as ntc-templates returns them; [Decode] fills a slice of structs from
// those rows. The directory comes from the user: NET_TEXTFSM (Netmiko's variable) or
// NTC_TEMPLATES_DIR ([DefaultDir]), or a path from a configuration file.
//
// Platforms are named the norn way (cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos,
// juniper_junos) or the Netmiko / ntc-templates way (cisco_ios, cisco_xe, cisco_nxos, cisco_xr,
// arista_eos, juniper_junos); both find the ntc-templates names in an index.
//
// [SendCommand] is a task that sends a command and parses its output.
//
// The engine is the package's own, with the semantics of Google's textfsm (Python), which
// ntc-templates are written for; expressions are Go's (RE2). A template is compiled once,
// immutable, and shared by any number of goroutines. It is checked against
// github.com/sirikothe/gotextfsm (scrapligo's engine) by a differential fuzz test; it is not
// built on it because gotextfsm compiles every rule's expression again for each line of
// output (a 500-line output took 48 ms, 7 ms here), keeps the record being built inside the
// template (one parse at a time), and loses the template's column order.
//
// It is not a template collection: templates are the user's (ntc-templates, or their own).
package textfsm
