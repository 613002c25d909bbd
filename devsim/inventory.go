package devsim

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// The inventory a fleet writes is Nornir's SimpleInventory: hosts.yaml, groups.yaml and
// defaults.yaml.

type invHost struct {
	Hostname string            `yaml:"hostname"`
	Port     int               `yaml:"port"`
	Platform string            `yaml:"platform"`
	Groups   []string          `yaml:"groups"`
	Data     map[string]string `yaml:"data,omitempty"`
}

type invGroup struct {
	Platform string            `yaml:"platform,omitempty"`
	Data     map[string]string `yaml:"data,omitempty"`
}

type invConn struct {
	Port   int            `yaml:"port,omitempty"`
	Extras map[string]any `yaml:"extras"`
}

type invDefaults struct {
	Username          string             `yaml:"username"`
	Password          string             `yaml:"password,omitempty"`
	ConnectionOptions map[string]invConn `yaml:"connection_options"`
	Data              map[string]string  `yaml:"data,omitempty"`
}

var platformVendor = map[Platform][2]string{
	CiscoIOSXE: {"cisco", "iosxe"}, CiscoNXOS: {"cisco", "nxos"}, CiscoIOSXR: {"cisco", "iosxr"},
	AristaEOS: {"arista", "eos"}, JuniperJunos: {"juniper", "junos"},
}

// WriteInventory writes the fleet as a Nornir SimpleInventory in dir (created if needed):
//
//   - hosts.yaml: one entry per device: hostname (the listening address), port, platform
//     (the scrapli/Nornir name), groups (the platform's group and "site_<site>"), and data:
//     site, role, model, serial, and devsim_faults for a device that injects faults.
//   - groups.yaml: a group per platform (platform, data: vendor, os) and per site (data: site).
//   - defaults.yaml: username, password, and connection_options "scrapli" and
//     "scrapli_netconf" (nornir_scrapli's names, which plugins/scrapli reads) with extras auth_secondary (the enable secret; scrapli only), auth_strict_key (true) and
//     ssh_known_hosts_file (the absolute path of dir/known_hosts).
//   - known_hosts: the fleet's host keys, one line per device ("[127.0.0.1]:port ssh-ed25519 ...").
//
// The files hold the fleet's passwords in clear text, as a lab inventory does; they are written
// with mode 0600.
func (f *Fleet) WriteInventory(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("devsim: write inventory: %w", err)
	}
	hosts := make(map[string]invHost, len(f.devices))
	groups := map[string]invGroup{}
	for _, d := range f.devices {
		c := d.cfg
		site := c.Data["site"]
		g := []string{string(c.Platform)}
		if site != "" {
			g = append(g, "site_"+site)
			groups["site_"+site] = invGroup{Data: map[string]string{"site": site}}
		}
		vo := platformVendor[c.Platform]
		groups[string(c.Platform)] = invGroup{Platform: string(c.Platform), Data: map[string]string{"vendor": vo[0], "os": vo[1]}}
		data := map[string]string{"model": d.ident.model, "serial": d.ident.serial}
		for k, v := range c.Data {
			data[k] = v
		}
		if fl := d.Faults(); fl.Any() {
			data["devsim_faults"] = fl.String()
		}
		hosts[c.Name] = invHost{Hostname: d.Host(), Port: d.Port(), Platform: string(c.Platform), Groups: g, Data: data}
	}
	// a copy of the fleet's known_hosts beside the inventory, so that the directory has
	// everything a client needs
	b, err := os.ReadFile(f.knownHosts)
	if err != nil {
		return fmt.Errorf("devsim: write inventory: %w", err)
	}
	kh, err := filepath.Abs(filepath.Join(dir, "known_hosts"))
	if err != nil {
		return fmt.Errorf("devsim: write inventory: %w", err)
	}
	if kh != f.knownHosts {
		if err := os.WriteFile(kh, b, 0o644); err != nil {
			return fmt.Errorf("devsim: write inventory: %w", err)
		}
	}
	extras := func(secondary bool) map[string]any {
		e := map[string]any{"auth_strict_key": true, "ssh_known_hosts_file": kh}
		if secondary {
			e["auth_secondary"] = f.cfg.EnableSecret
		}
		return e
	}
	defaults := invDefaults{
		Username: f.cfg.Username,
		Password: f.cfg.Password,
		ConnectionOptions: map[string]invConn{
			"scrapli":         {Extras: extras(true)},
			"scrapli_netconf": {Extras: extras(false)},
		},
	}
	files := []struct {
		name string
		v    any
	}{{"hosts.yaml", hosts}, {"groups.yaml", groups}, {"defaults.yaml", defaults}}
	for _, file := range files {
		var b bytes.Buffer
		b.WriteString("---\n")
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(file.v); err != nil {
			return fmt.Errorf("devsim: write inventory %s: %w", file.name, err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("devsim: write inventory %s: %w", file.name, err)
		}
		path := filepath.Join(dir, file.name)
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			return fmt.Errorf("devsim: write inventory: %w", err)
		}
	}
	return nil
}
