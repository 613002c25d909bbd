package devsim

// Temporary: the platforms other than IOS-XE land in the next commits.

type jnode struct{ value string }

func (n *jnode) clone() *jnode              { c := *n; return &c }
func (n *jnode) find(path ...string) *jnode { return nil }
func (n *jnode) render(int) string          { return "" }

var _ = (*jnode).render

func unquote(s string) string             { return s }
func (g *gen) junos() *jnode              { return &jnode{} }
func (d *Device) runNetconf(_ any, _ any) {}

type junosDialect = iosxeDialect

func platformReady(p Platform) bool { return p != JuniperJunos }

// referenced by the platforms still to land
var _ = []any{numArg, (*config).equal, (*Device).commitConfig, removeBlock, macDotted, macColon,
	secretType5, secretSHA256, secretSHA512, junos9, hexSecret}

func junosPathPending(s *session) []string { return s.jpath }

var _ = junosPathPending
