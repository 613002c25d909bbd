// Package compliance checks device configurations against rules, offline: the stored backups
// of a git repository ([ReadStore]) or the configuration a task reads from a live device
// ([Task]), without changing anything.
//
// Rules are YAML ([Load]): each says which platforms and inventory groups it applies to, which
// section of the configuration it looks in (Cisco-style: a top-level line and its indented
// block, e.g. "line vty 0 4"; Junos: a hierarchy path such as "system services"), and what the
// section must contain, must not contain or must match, with a severity. A rule that does not
// apply to a host's platform or groups is skipped, not failed. Junos configurations in braces
// (show configuration) are read as set-style paths, so a rule says "system services ssh" the way
// an operator types it.
//
// [Check] evaluates the rules on one configuration; a [Report] holds the results per host and
// rule and writes them as text, JSON or JUnit XML (one test case per host and rule, for CI).
// [Emit] feeds results to hook chains (Alertmanager, metrics, webhooks) as a run's task events,
// one per host and rule.
//
// It is not a configuration generator or a remediation tool: it reports, it does not fix.
package compliance
