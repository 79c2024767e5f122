#!/bin/busybox sh
# /init of the tsbox v2 test VM (runs as PID 1 in the initramfs; see tools/v2vm/main.ts).
# Loads the virtio/9p/overlay modules the initramfs carries (built-in ones are simply absent),
# mounts the host's / read-only over 9p under a tmpfs overlay, mounts a pure cgroup v2
# hierarchy, switch_roots into it (not chroot: setns(CLONE_NEWNS) — `tsbox exec` — lands on
# the mount namespace's root mount, which must be the new root, as after a real boot) and runs
# /v2vm/run.sh from the writable "out" share. The exit code goes to /v2vm/exit and to the
# console; the VM always powers off, whatever happens.
export PATH=/bin
busybox mkdir -p /proc /sys /dev /tmp /mnt/host /mnt/rw /mnt/root /mnt/out
busybox mount -t proc proc /proc
busybox --install -s /bin # finds itself through /proc/self/exe
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

finish() {
  echo "TSBOX-V2VM-EXIT=$1"
  busybox sync
  busybox poweroff -f
}

for m in $(cat /modules.list); do
  insmod "/modules/$m.ko" || finish 201
done

mount -t 9p -o trans=virtio,version=9p2000.L,cache=loose,msize=512000,ro host /mnt/host ||
  finish 202
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /mnt/out || finish 203
mount -t tmpfs -o size=1g,mode=755 rw /mnt/rw || finish 204
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay \
  /mnt/root || finish 205

R=/mnt/root
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t cgroup2 -o nsdelegate cgroup2 $R/sys/fs/cgroup || finish 206
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs shm $R/dev/shm
mount -t tmpfs tmp $R/tmp
mount -t tmpfs run $R/run
mkdir -p $R/v2vm
mount --bind /mnt/out $R/v2vm
hostname tsbox-v2vm
ip link set lo up 2>/dev/null

# PID 1 after switch_root: the host's static busybox (busybox-static) runs the tests
STAGE2='/bin/sh /v2vm/run.sh; rc=$?; echo "$rc" >/v2vm/exit; echo "TSBOX-V2VM-EXIT=$rc"; /bin/busybox sync; /bin/busybox poweroff -f'
exec switch_root $R /bin/busybox sh -c "$STAGE2"
finish 207
