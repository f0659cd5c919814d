#!/bin/bash
# Boot Debian bookworm's real Xen 4.17 + Debian 6.1 dom0 under QEMU TCG and run a command list in dom0.
# Usage: run.sh CMDFILE  (one shell command per line; every *.cfg beside this script and beside CMDFILE
#        is copied to dom0's /etc/xen/). record.sh is the usual caller.
# Env: W (work dir, default: ${XDG_CACHE_HOME:-~/.cache}/xen-genid-real-xen), CPU (default max,-smap,-vgif,-pcid,-invpcid; why: README.md), MACHINE (pc|q35, default pc), MEM (default 2048),
#      SMP (default 1: with 2, dom0 programs crashed in most boots on a loaded machine), XENARGS (extra Xen cmdline), QTIMEOUT (default 1500), WITH_QEMU_XEN (default 1: add
#      Debian's qemu-system-xen device model so HVM guests really run), NOBOOT=1 (build only),
#      OUT (where serial.log goes, default $W/out). QEMU runs under `nice -n ${NICE:-10}` (a negative NICE, as root, gives a recording priority over a busy machine).
# Needs on the host: apt (bookworm sources), dpkg-deb, file, ldd, cpio, gzip, qemu-system-x86_64; glibc and (for
#      WITH_QEMU_XEN) qemu's shared libraries are taken from the host (bookworm) by the ldd walk.
# Output: the full serial log in $OUT/serial.log; commands are delimited by '### CMD[n]: ...' /
#         '### RC[n]=...' lines. The last line on stdout is `qemu rc=N wall=Ns log=PATH`.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); W=${W:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-genid-real-xen}
CMDS=$(readlink -f "${1:?usage: run.sh CMDFILE}")
OUT=$(mkdir -p "${OUT:-$W/out}" && cd "${OUT:-$W/out}" && pwd)
MACHINE=${MACHINE:-pc}; CPU=${CPU:-max,-smap,-vgif,-pcid,-invpcid}; MEM=${MEM:-2048}; SMP=${SMP:-1}; QTIMEOUT=${QTIMEOUT:-1500}
mkdir -p "$W/debs" "$W/out"; cd "$W"
# 1. packages (apt-get download + dpkg-deb -x; nothing is installed on this machine)
apt-cache show xen-hypervisor-4.17-amd64 >/dev/null 2>&1 || apt-get update -qq   # a fresh machine has no package lists
KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils libxencall1 libxendevicemodel1
 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenmisc4.17 libxenstore4 libxentoolcore1
 libxentoollog1 libyajl2 busybox-static seabios $KPKG"
[ "${WITH_QEMU_XEN:-1}" = 1 ] && PKGS+=" qemu-system-xen ipxe-qemu"  # HVM device model (Debian's qemu-xen build), its nics' option ROMs
mkdir -p root/.got
for p in $PKGS; do
  [ -f root/.got/$p ] && continue
  ls debs/${p}_*.deb >/dev/null 2>&1 || (cd debs && apt-get download "$p")
  dpkg-deb -x "$(ls debs/${p}_*.deb | head -1)" root && touch root/.got/$p
done
R=$W/root; KVER=${KPKG#linux-image-}
KERNEL=$(ls $R/boot/vmlinuz-$KVER); gunzip -c $R/boot/xen-4.17-amd64.gz > xen.elf   # ELF32 + multiboot1 header
# 2. guest (PV domU) initramfs: busybox only
G=initramfs-guest; rm -rf $G; mkdir -p $G/bin $G/proc $G/sys $G/dev $G/tmp
cp $R/bin/busybox $G/bin/busybox; cp $HERE/init-guest.sh $G/init; chmod +x $G/init
(cd $G && find . | cpio -o -H newc --quiet | gzip -1) > guest-initrd.gz
# 3. dom0 initramfs: busybox, xen modules, toolstack binaries + their shared libraries (ldd walk)
D=initramfs-dom0; rm -rf $D; mkdir -p $D/{bin,sbin,proc,sys,dev,tmp,run,etc/xen,guest,lib/modules,usr/bin,usr/sbin,var/lib,var/log}
ln -s ../run $D/var/run
cp $R/bin/busybox $D/bin/busybox; cp $HERE/init-dom0.sh $D/init; chmod +x $D/init
for m in drivers/xen/{xen-evtchn,xen-privcmd,xenfs/xenfs,xen-gntdev,xen-gntalloc} drivers/block/loop \
         drivers/block/xen-blkback/xen-blkback drivers/net/xen-netback/xen-netback drivers/net/tun net/llc/llc net/802/stp net/bridge/bridge; do
  cp $R/lib/modules/$KVER/kernel/$m.ko $D/lib/modules/; done
# the hotplug scripts (/etc/xen/scripts: block, vif-bridge) are bash, take their locks with flock(1) and
# compare coreutils stat(1)'s %D.%i of two files, and set up loop devices with util-linux's losetup (-a, -r)
HOSTBINS="bash flock stat losetup"
mkdir -p $D/usr/local/bin; for b in $HOSTBINS; do cp -L "$(PATH=$PATH:/usr/sbin:/sbin command -v $b)" $D/usr/local/bin/$b; done; ln -s /usr/local/bin/bash $D/bin/bash
mkdir -p $D/usr/lib/xen-4.17; cp -a $R/usr/lib/xen-4.17/bin $D/usr/lib/xen-4.17/
mkdir -p $D/usr/lib/xen-4.17/boot; cp $R/usr/lib/xen-4.17/boot/hvmloader $D/usr/lib/xen-4.17/boot/
cp -a $R/usr/lib/xen-4.17/lib $D/usr/lib/xen-4.17/ ; rm -rf $D/usr/lib/xen-4.17/lib/python
cp -a $R/usr/bin/xenstore* $D/usr/bin/; rm -f $D/usr/bin/xenstore-control
ln -sf /usr/lib/xen-4.17/bin/xenstore-control $D/usr/bin/xenstore-control
cp -a $R/etc/xen/. $D/etc/xen/; cp $HERE/*.cfg $D/etc/xen/; cp "$(dirname "$CMDS")"/*.cfg $D/etc/xen/ 2>/dev/null || true
mkdir -p $D/usr/lib/x86_64-linux-gnu; cp -a $R/usr/lib/x86_64-linux-gnu/. $D/usr/lib/x86_64-linux-gnu/
export LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu:$R/usr/lib/xen-4.17/lib/x86_64-linux-gnu
mkdir -p $D/usr/share; cp -a $R/usr/share/seabios $D/usr/share/             # hvmloader's BIOS (bios-256k.bin)
if [ "${WITH_QEMU_XEN:-1}" = 1 ]; then
  mkdir -p $D/usr/libexec $D/usr/share/qemu/keymaps; cp $R/usr/libexec/xen-qemu-system-i386 $D/usr/libexec/
  cp /usr/share/qemu/keymaps/en-us $D/usr/share/qemu/keymaps/ 2>/dev/null || true
  for f in vgabios-cirrus.bin vgabios-stdvga.bin; do ln -sf ../seabios/$f $D/usr/share/qemu/$f; done
  mkdir -p $D/usr/lib/ipxe; cp -a $R/usr/lib/ipxe/qemu $D/usr/lib/ipxe/
  for f in $R/usr/lib/ipxe/qemu/*.rom; do ln -sf ../../lib/ipxe/qemu/${f##*/} $D/usr/share/qemu/${f##*/}; done
fi
for b in $D/usr/lib/xen-4.17/bin/* $D/usr/bin/xenstore $(for h in $HOSTBINS; do echo $D/usr/local/bin/$h; done) $D/usr/libexec/xen-qemu-system-i386 /lib/x86_64-linux-gnu/libgcc_s.so.1; do
  [ -e "$b" ] || continue
  case "$b" in */libgcc_s.so.1) echo "$b"; continue;; esac  # dlopen()ed by glibc for pthread_cancel
  file -L "$b" | grep -q 'ELF.*dynamic' || continue
  ldd "$b" | awk '/=> \//{print $3} /^\t\/lib64/{print $1}'
done | sort -u | while read -r lib; do
  case "$lib" in $R/*) continue;; esac                     # already copied from the extracted packages
  mkdir -p "$D$(dirname "$lib")"; cp -L "$lib" "$D$lib"
done
mkdir -p $D/lib64; cp -L /lib64/ld-linux-x86-64.so.2 $D/lib64/
cp $KERNEL $D/guest/vmlinuz; cp guest-initrd.gz $D/guest/initrd.gz
cp "$CMDS" $D/cmds
(cd $D && find . | cpio -o -H newc --quiet | gzip -1) > dom0-initrd.gz
ls -la xen.elf $KERNEL dom0-initrd.gz >&2
[ "${NOBOOT:-0}" = 1 ] && { echo "NOBOOT=1: built $W/xen.elf $W/dom0-initrd.gz"; exit 0; }
# 4. boot: Xen via QEMU's multiboot loader; modules: dom0 kernel (+cmdline), dom0 initramfs
# serial_tx_buffer: long outputs (a save image in base64) are not dropped when the UART lags behind
XEN_CMDLINE="console=com1 com1=115200,8n1 serial_tx_buffer=1M dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all noreboot xsave=0 ${XENARGS:-}"
CMD=(qemu-system-x86_64 -machine "$MACHINE" -accel tcg -cpu "$CPU" -m "$MEM" -smp "$SMP" -nodefaults -display none
     -serial stdio -monitor none -no-reboot -kernel xen.elf -append "$XEN_CMDLINE"
     -initrd "$KERNEL console=hvc0 earlyprintk=xen loglevel=4,dom0-initrd.gz")
printf '%q ' "${CMD[@]}" > "$OUT/cmd.txt"; echo >> "$OUT/cmd.txt"
T0=$(date +%s)
set +e; nice -n "${NICE:-10}" timeout "$QTIMEOUT" "${CMD[@]}" < /dev/null > "$OUT/serial.log" 2>&1; RC=$?; set -e
T1=$(date +%s)
echo "qemu rc=$RC wall=$((T1-T0))s log=$OUT/serial.log"
