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
// [SendCommand] is a task that sends a command and parses its output. The TextFSM engine is
// github.com/sirikothe/gotextfsm (the one scrapligo uses); this package compiles each template
// once, parses on a private copy of the template state so that one template serves many hosts
// at once, keeps the template's column order, and turns the engine's panics into errors.
//
// It is not a template collection: templates are the user's (ntc-templates, or their own).
package textfsm
