// Gives containers their names: CGROUP_PROCESS_MAP names a container after a process it runs, and every
// process in that process's cgroup belongs to it. Containers no mapping names keep a name from their cgroup.
// Stateful because a mapped process may appear late in a run: its name then applies to the whole run.

/** CGROUP_PROCESS_MAP, validated: process name -> container name. */
export type ProcessMap = ReadonlyMap<string, string>;

export class ContainerNamer {
  readonly #map: ProcessMap;
  readonly #byKey = new Map<string, string>();
  readonly #conflicts = new Set<string>();

  constructor(map: ProcessMap) {
    this.#map = map;
  }

  /**
   * A process was seen in the cgroup `key` with kernel name `comm` and executable name `exe`. The comm is
   * tried first; the executable's name matters where the kernel cut comm to 15 bytes, or where a runtime
   * renames its main thread (Node 24's comm is `MainThread`). The first mapping that claims a cgroup keeps it.
   * Returns the container name when this sighting named the cgroup, else undefined.
   */
  observe(key: string, comm: string, exe: string | undefined): { named?: string; conflict?: string } {
    const name = this.#map.get(comm) ?? (exe === undefined ? undefined : this.#map.get(exe));
    if (name === undefined) return {};
    const had = this.#byKey.get(key);
    if (had === undefined) {
      this.#byKey.set(key, name);
      return { named: name };
    }
    if (had !== name && !this.#conflicts.has(key)) {
      this.#conflicts.add(key);
      return { conflict: name };
    }
    return {};
  }

  /** Names a container outright (the wrap mode's `job`); a later process-map match does not rename it. */
  assign(key: string, name: string): void {
    this.#byKey.set(key, name);
  }

  /** The mapped name of a cgroup, if a mapped process has been seen in it. */
  mapped(key: string): string | undefined {
    return this.#byKey.get(key);
  }

  /** Every container name the map could give, for bounded metric labels. */
  get mapNames(): ReadonlySet<string> {
    return new Set(this.#map.values());
  }
}
