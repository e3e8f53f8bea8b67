#!/bin/bash
# Usage: lab.sh CONF NAME SCRIPT...  : runs dhcpd with CONF in a fresh netns, proxy 7912->7911,
# feeds each omshell script file through the proxy, logs to NAME.log
set -u
CONF=$1; NAME=$2; shift 2
NS=omcap$$
cd /tmp/omlab
rm -f $NAME.log $NAME.dhcpd.out
ip netns add $NS || exit 1
cleanup() {
  [ -n "${DPID:-}" ] && kill $DPID 2>/dev/null
  [ -n "${PPID2:-}" ] && kill $PPID2 2>/dev/null
  sleep 0.3
  ip netns del $NS
}
trap cleanup EXIT
ip -n $NS link set lo up
ip -n $NS link add d0 type veth peer name d1
ip -n $NS link set d1 up
ip -n $NS addr add 10.99.0.1/24 dev d0
ip -n $NS link set d0 up
cp leases.seed $NAME.leases
ip netns exec $NS /usr/sbin/dhcpd -4 -f -d -cf $CONF -lf /tmp/omlab/$NAME.leases -pf /tmp/omlab/$NAME.pid d0 > $NAME.dhcpd.out 2>&1 &
DPID=$!
sleep 1.5
ip netns exec $NS timeout 60 python3 proxy.py 7912 7911 $NAME.log 4 &
PPID2=$!
sleep 0.5
for s in "$@"; do
  echo "=== $s" >> $NAME.omshell.out
  ip netns exec $NS timeout 20 omshell < $s >> $NAME.omshell.out 2>&1
  sleep 0.3
done
sleep 0.5
