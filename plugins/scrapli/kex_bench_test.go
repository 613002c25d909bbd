package scrapli_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"testing"

	"golang.org/x/crypto/ssh"
)

// BenchmarkKeyExchange measures one SSH handshake (key exchange, host key, password
// authentication) over loopback, client and server in this process, per key exchange: the
// cost ssh_kex_algorithms chooses between. x/crypto's client offers mlkem768x25519-sha256
// first; network devices (and devsim) offer curve25519-sha256, ecdh-sha2-nistp256 and
// diffie-hellman-group14-sha256.
//
//	go test -run XXX -bench KeyExchange ./plugins/scrapli/
func BenchmarkKeyExchange(b *testing.B) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		b.Fatal(err)
	}
	for _, kex := range []string{"mlkem768x25519-sha256", "curve25519-sha256", "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256"} {
		b.Run(kex, func(b *testing.B) {
			srv := &ssh.ServerConfig{
				Config: ssh.Config{KeyExchanges: []string{kex}},
				PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
					return nil, nil
				},
			}
			srv.AddHostKey(signer)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						sc, chans, reqs, err := ssh.NewServerConn(c, srv)
						if err != nil {
							return
						}
						go ssh.DiscardRequests(reqs)
						go func() {
							for ch := range chans {
								_ = ch.Reject(ssh.Prohibited, "no channels")
							}
						}()
						_ = sc.Wait()
					}()
				}
			}()
			cfg := &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password("admin")},
				HostKeyCallback: ssh.FixedHostKey(signer.PublicKey()),
				Config:          ssh.Config{KeyExchanges: []string{kex}}}
			cpu0 := cpuTime()
			for b.Loop() {
				c, err := ssh.Dial("tcp", ln.Addr().String(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				_ = c.Close()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N)/1000, "cpu-ms/handshake")
		})
	}
}
