package stdlib

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func netModule(Env) map[string]value.Value {
	def := defs("net")
	ipPred := func(name string, p func(netip.Addr) bool) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return value.Bool(false), nil
			}
			return value.Bool(p(addr)), nil
		})
	}
	ipStr := func(name string, f func(netip.Addr) (string, bool)) *value.Func {
		return def(name, func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return value.Str(""), nil
			}
			r, ok := f(addr)
			if !ok {
				return value.Str(""), nil
			}
			return value.Str(r), nil
		})
	}
	canonical := func(a netip.Addr) (string, bool) { return a.String(), true }
	return members(
		def("split_host_port", func(c call) (value.Value, error) {
			var s string
			if err := c.unpack(&s); err != nil {
				return nil, err
			}
			host, port, err := net.SplitHostPort(s)
			if err != nil {
				return nil, fmt.Errorf("split_host_port: %w", err)
			}
			return strList([]string{host, port}), nil
		}),
		def("join_host_port", func(c call) (value.Value, error) {
			var host string
			var port value.Value
			if err := c.unpack(&host, &port); err != nil {
				return nil, err
			}
			return value.Str(net.JoinHostPort(host, value.ToStr(port))), nil
		}),
		def("fqdn", func(c call) (value.Value, error) {
			var name string
			if err := c.unpack(&name); err != nil {
				return nil, err
			}
			if name == "" {
				var err error
				if name, err = os.Hostname(); err != nil {
					return nil, fmt.Errorf("fqdn: %w", err)
				}
			}
			return value.Str(name), nil
		}),
		ipStr("parse_IP", canonical),
		ipStr("IP_string", canonical),
		ipStr("to_IP4", func(a netip.Addr) (string, bool) {
			a = a.Unmap()
			return a.String(), a.Is4()
		}),
		ipStr("to_IP6", func(a netip.Addr) (string, bool) {
			if a.Is4() {
				return netip.AddrFrom16(a.As16()).String(), true
			}
			return a.String(), true
		}),
		ipPred("is_IPv4", func(a netip.Addr) bool { return a.Unmap().Is4() }),
		ipPred("is_IPv6", func(a netip.Addr) bool { return a.Is6() && !a.Is4In6() }),
		ipPred("is_IP", func(netip.Addr) bool { return true }),
		ipPred("is_loopback_IP", netip.Addr.IsLoopback),
		ipPred("is_multicast_IP", netip.Addr.IsMulticast),
		ipPred("is_interface_local_multicast_IP", netip.Addr.IsInterfaceLocalMulticast),
		ipPred("is_link_local_multicast_IP", netip.Addr.IsLinkLocalMulticast),
		ipPred("is_link_local_unicast_IP", netip.Addr.IsLinkLocalUnicast),
		ipPred("is_global_unicast_IP", netip.Addr.IsGlobalUnicast),
		ipPred("is_unspecified_IP", netip.Addr.IsUnspecified),
		def("parse_CIDR", func(c call) (value.Value, error) {
			var cidr string
			if err := c.unpack(&cidr); err != nil {
				return nil, err
			}
			p, err := parseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			d := value.NewDict()
			d.Set("ip", value.Str(p.Addr().String()))
			d.Set("mask", value.Int(p.Bits()))
			return d, nil
		}),
		def("is_IP_in_CIDR", func(c call) (value.Value, error) {
			var s, cidr string
			if err := c.unpack(&s, &cidr); err != nil {
				return nil, err
			}
			p, err := parseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return value.Bool(false), nil
			}
			return value.Bool(p.Masked().Contains(addr.Unmap())), nil
		}),
		def("CIDR_netmask", func(c call) (value.Value, error) {
			var cidr string
			if err := c.unpack(&cidr); err != nil {
				return nil, err
			}
			p, err := parseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			total := p.Addr().BitLen()
			mask := net.CIDRMask(p.Bits(), total)
			return value.Str(net.IP(mask).String()), nil
		}),
		def("CIDR_host", func(c call) (value.Value, error) {
			var cidr string
			var n int64
			if err := c.unpack(&cidr, &n); err != nil {
				return nil, err
			}
			p, err := parseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			addr, err := cidrHost(p, big.NewInt(n))
			if err != nil {
				return nil, err
			}
			return value.Str(addr.String()), nil
		}),
		def("CIDR_subnet", func(c call) (value.Value, error) {
			var cidr string
			var bits, num int64
			if err := c.unpack(&cidr, &bits, &num); err != nil {
				return nil, err
			}
			p, err := parseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			sub, err := cidrSubnet(p, int(bits), big.NewInt(num))
			if err != nil {
				return nil, err
			}
			return value.Str(sub.String()), nil
		}),
		def("CIDR_subnets", func(c call) (value.Value, error) {
			var cidr string
			var bitsV value.Value
			if err := c.unpack(&cidr, &bitsV); err != nil {
				return nil, err
			}
			p, err := parseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			items, ok := bitsV.(*value.List)
			if !ok {
				return nil, errors.New("CIDR_subnets() argument 'additional_bits' must be a list of int")
			}
			// Allocate consecutive subnets of the requested sizes, each
			// aligned to its own size, like Terraform's cidrsubnets.
			out := &value.List{}
			base := p.Masked()
			total := base.Addr().BitLen()
			cur := new(big.Int).SetBytes(base.Addr().AsSlice())
			end := new(big.Int).Add(cur, new(big.Int).Lsh(big.NewInt(1), uint(total-p.Bits())))
			for _, it := range items.Items {
				nb, ok := toInt(it)
				if !ok {
					return nil, errors.New("CIDR_subnets() argument 'additional_bits' must be a list of int")
				}
				plen := p.Bits() + int(nb)
				if plen > total {
					return nil, fmt.Errorf("insufficient address space to extend prefix of %d by %d", p.Bits(), nb)
				}
				size := new(big.Int).Lsh(big.NewInt(1), uint(total-plen))
				// Align cur up to size.
				rem := new(big.Int).Mod(cur, size)
				if rem.Sign() != 0 {
					cur.Add(cur, new(big.Int).Sub(size, rem))
				}
				if new(big.Int).Add(cur, size).Cmp(end) > 0 {
					return nil, errors.New("not enough remaining address space for a subnet")
				}
				addr := bigToAddr(cur, total)
				out.Items = append(out.Items, value.Str(netip.PrefixFrom(addr, plen).String()))
				cur.Add(cur, size)
			}
			return out, nil
		}),
	)
}

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR address: %s", s)
	}
	return p, nil
}

func bigToAddr(n *big.Int, bits int) netip.Addr {
	b := make([]byte, bits/8)
	n.FillBytes(b)
	addr, _ := netip.AddrFromSlice(b)
	return addr
}

func cidrHost(p netip.Prefix, num *big.Int) (netip.Addr, error) {
	base := p.Masked()
	total := base.Addr().BitLen()
	hostBits := total - p.Bits()
	size := new(big.Int).Lsh(big.NewInt(1), uint(hostBits))
	n := new(big.Int).Set(num)
	if n.Sign() < 0 {
		n.Add(n, size)
	}
	if n.Sign() < 0 || n.Cmp(size) >= 0 {
		return netip.Addr{}, fmt.Errorf("prefix of %d does not accommodate a host numbered %s", p.Bits(), num.String())
	}
	cur := new(big.Int).SetBytes(base.Addr().AsSlice())
	return bigToAddr(cur.Add(cur, n), total), nil
}

func cidrSubnet(p netip.Prefix, newBits int, num *big.Int) (netip.Prefix, error) {
	base := p.Masked()
	total := base.Addr().BitLen()
	plen := p.Bits() + newBits
	if plen > total {
		return netip.Prefix{}, fmt.Errorf("insufficient address space to extend prefix of %d by %d", p.Bits(), newBits)
	}
	if num.Sign() < 0 || num.Cmp(new(big.Int).Lsh(big.NewInt(1), uint(newBits))) >= 0 {
		return netip.Prefix{}, fmt.Errorf("prefix extension of %d does not accommodate a subnet numbered %s", newBits, num.String())
	}
	cur := new(big.Int).SetBytes(base.Addr().AsSlice())
	cur.Add(cur, new(big.Int).Lsh(num, uint(total-plen)))
	return netip.PrefixFrom(bigToAddr(cur, total), plen), nil
}
