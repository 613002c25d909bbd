// Package redact is norn's one home for secrets: it knows what a secret is and removes it from
// every text norn writes (stored backups, session logs, log lines, alerts, webhooks, metrics).
//
// It knows three kinds of secret:
//
//   - literal secrets: the host's own password, enable secret, key passphrase, tokens, given to
//     New or collected from an inventory host by HostSecrets and Host;
//   - secret-shaped strings: URL userinfo passwords, Authorization/Bearer/Token headers,
//     password=/token= parameters, PEM private keys, webhook secrets and well-known token
//     formats;
//   - configuration secret lines per platform (IOS-XE, NX-OS, IOS-XR, EOS, Junos): enable
//     secrets, user passwords, SNMP communities, AAA, routing-protocol, NTP and IPsec keys,
//     key-strings, Junos SECRET-DATA and $9$ values. Rules gives a platform's rules, Compile
//     builds a Ruleset; the backup task redacts its stored configurations with them at a Level
//     (RANCID's all, reversible or off).
//
// A Redactor combines the three for log-like text (String) and for streams (Writer, line by
// line with a carry-over buffer, so a secret split across two writes is still caught).
//
// It is not a secret store and does not decrypt or validate secrets.
package redact
