/**
 * `tsbox build`: run a parsed Dockerfile stage by stage. Every step makes
 * an image in the store (RUN/COPY/ADD add a layer; the other instructions
 * change only the config and record an `empty_layer` history entry); a step
 * whose key (parent image, instruction after substitution, copied content)
 * is in the build cache is taken from it ("CACHED"). Only the stages the
 * target needs are built; at the end the target is tagged and every
 * intermediate image the build recorded is deleted (the cache keeps their
 * content). On failure nothing is tagged and no container or intermediate
 * image is left. Needs root.
 * @module
 */

import { join } from "../posix_path.ts";
import type { CliContext } from "../cli/context.ts";
import { TsboxError } from "../errors.ts";
import { resolveImage } from "../container/create.ts";
import { ImageStore } from "../image/store.ts";
import { sha256Digest } from "../image/digest.ts";
import { hostArchitecture } from "../image/config.ts";
import { layerMediaType, writeLayerBlob } from "../image/layer_blob.ts";
import type { OciImageConfig, ResolvedImage } from "../image/types.ts";
import { safeRemoveTree } from "../safe_remove.ts";
import { BuildError } from "./errors.ts";
import { type Dockerfile, type Instruction, parseDockerfile } from "./parse.ts";
import { findStage, neededStages, splitStages, type Stage } from "./stages.ts";
import { applyMetadata, command, METADATA, type MetaState } from "./metadata.ts";
import { processWord, processWords } from "./words.ts";
import { BuildCache, cacheKey } from "./cache.ts";
import { runStep } from "./run_step.ts";
import { contextTree, imageTree, type SourceTree } from "./sources.ts";
import { stageCopy } from "./copy_layer.ts";
import { prepareCopy } from "./copy_step.ts";
import { IgnoreMatcher } from "./dockerignore.ts";
import type { Progress } from "./progress.ts";

/** What `buildImage` needs. */
export interface BuildOptions {
  /** The context directory. */
  context: string;
  /** Dockerfile text and the name used in messages (`Dockerfile`). */
  dockerfile: { text: string; name: string };
  /** Normalised names to tag the result with. */
  tags: string[];
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  platform?: string;
  /** `--network` for RUN (default `none`). */
  network: string;
  progress: Progress;
}

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The state of the stage being built. */
interface StageState {
  image: ResolvedImage;
  doc: OciImageConfig;
  meta: MetaState;
  /** Declared ARGs (value undefined: declared without one). */
  args: Map<string, string | undefined>;
}

/**
 * Build; returns the id of the target's image.
 * @throws {BuildError} `Dockerfile:N: …` (exit 1).
 */
export async function buildImage(ctx: CliContext, opts: BuildOptions): Promise<string> {
  return await new Builder(ctx, opts).run();
}

class Builder {
  readonly store: ImageStore;
  readonly cache: BuildCache;
  readonly file: string;
  readonly df: Dockerfile;
  /** Images this build recorded (deleted at the end, except the result). */
  readonly made = new Set<string>();
  readonly results = new Map<number, ResolvedImage>();
  readonly usedArgs = new Set<string>();
  /** Aborted by SIGINT/SIGTERM. */
  readonly abort = new AbortController();
  /** The ARGs before the first FROM. */
  readonly meta = new Map<string, string | undefined>();
  #context?: SourceTree;

  constructor(readonly ctx: CliContext, readonly opts: BuildOptions) {
    this.store = new ImageStore(ctx.paths);
    this.cache = new BuildCache(this.store);
    this.file = opts.dockerfile.name;
    this.df = parseDockerfile(opts.dockerfile.text, this.file);
    if (opts.platform && opts.platform !== `linux/${hostArchitecture()}`) {
      throw new BuildError(
        `build: only linux/${hostArchitecture()} images can be built here (no emulation): --platform ${opts.platform}`,
      );
    }
  }

  async run(): Promise<string> {
    const plan = splitStages(this.df, this.file);
    const stages = neededStages(plan, this.opts.target, this.file);
    const meta = this.meta;
    // BuildKit's automatic platform ARGs (declare them in a stage to use them there)
    const platform = this.opts.platform ?? `linux/${hostArchitecture()}`;
    const [os, arch] = platform.split("/");
    for (const p of ["BUILD", "TARGET"]) {
      meta.set(`${p}PLATFORM`, platform);
      meta.set(`${p}OS`, os);
      meta.set(`${p}ARCH`, arch);
      meta.set(`${p}VARIANT`, "");
    }
    for (const ins of plan.metaArgs) this.wrap(ins, () => this.declareArgs(ins, meta, meta));
    let final: ResolvedImage | undefined;
    let ok = false;
    // Ctrl-C / SIGTERM: the running step is killed, then everything is undone as on a failure
    const onSignal = () => this.abort.abort();
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    for (const sig of signals) Deno.addSignalListener(sig, onSignal);
    try {
      for (const stage of stages) {
        final = await this.buildStage(stage, plan.stages, meta, stages.length > 1);
        this.results.set(stage.index, final);
      }
      for (const t of this.opts.tags) await this.store.tag(final!.id, t);
      const unused = [...this.opts.buildArgs.keys()].filter((k) => !this.usedArgs.has(k));
      if (unused.length) {
        this.opts.progress.warn(`One or more build-args [${unused.join(" ")}] were not consumed`);
      }
      ok = true;
      return final!.id;
    } finally {
      for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
      await this.dropIntermediates(ok ? final?.id : undefined);
      // a failed step's blob and layer are nobody's: drop them now
      if (ok) this.store.close();
      else await this.store.discardUncommitted();
    }
  }

  /** Delete the images this build recorded, except `keep`. */
  async dropIntermediates(keep: string | undefined): Promise<void> {
    for (const id of this.made) {
      if (id === keep) continue;
      try {
        await this.store.remove(id);
      } catch (err) {
        // tagged or used meanwhile by someone else: it is theirs now
        if (!(err instanceof TsboxError)) throw err;
        this.opts.progress.warn(`intermediate image ${id} kept: ${err.message}`);
      }
    }
  }

  async buildStage(
    stage: Stage,
    all: Stage[],
    meta: Map<string, string | undefined>,
    multi: boolean,
  ): Promise<ResolvedImage> {
    const label = multi ? `${stage.name ?? `stage-${stage.index}`} ` : "";
    const steps = 1 + stage.body.filter((i) => ["RUN", "COPY", "ADD"].includes(i.cmd)).length;
    let k = 0;
    const stepLabel = (ins: Instruction) => `[${label}${++k}/${steps}] ${ins.original}`;
    const st = await this.from(stage, all, meta, stepLabel(stage.from));
    const triggers = (st.image.config.OnBuild as string[] | null | undefined) ?? [];
    if (triggers.length) {
      // the base's ONBUILD triggers run first; the new image does not inherit them
      st.meta.config.OnBuild = null;
      const parsed = parseDockerfile(triggers.join("\n"), this.file).instructions;
      for (const t of parsed) await this.step({ ...t, line: stage.from.line }, st, all, stepLabel);
    }
    for (const ins of stage.body) await this.step(ins, st, all, stepLabel);
    return st.image;
  }

  async from(
    stage: Stage,
    all: Stage[],
    meta: Map<string, string | undefined>,
    label: string,
  ): Promise<StageState> {
    const ins = stage.from;
    const n = this.opts.progress.begin(label);
    const ref = this.wrap(ins, () => processWord(ins.rest.split(/\s+/)[0], defined(meta)));
    const platform = ins.flags.platform
      ? this.wrap(ins, () => processWord(ins.flags.platform, defined(meta)))
      : this.opts.platform;
    for (const f of Object.keys(ins.flags)) {
      if (f !== "platform") {
        throw new BuildError(`${this.file}:${ins.line}: FROM: unknown flag: --${f}`);
      }
    }
    if (platform && platform !== `linux/${hostArchitecture()}`) {
      throw new BuildError(
        `${this.file}:${ins.line}: FROM: only linux/${hostArchitecture()} images can be built here (no emulation): --platform=${platform}`,
      );
    }
    let image: ResolvedImage;
    const dep = findStage(all, ref, stage.index);
    if (dep) image = this.results.get(dep.index)!;
    else if (ref.toLowerCase() === "scratch") image = await this.scratch();
    else {
      image = await this.wrapAsync(ins, () =>
        resolveImage(this.ctx, ref, {
          pull: this.opts.pull ? "always" : "missing",
          platform,
          quiet: true,
        }));
    }
    this.opts.progress.done(n);
    const doc = this.store.configOf(image.id);
    doc.history = paddedHistory(doc);
    return {
      image,
      doc,
      meta: { config: structuredClone(doc.config ?? {}), cmdSet: false },
      args: new Map(),
    };
  }

  /** An empty image (`FROM scratch`). */
  async scratch(): Promise<ResolvedImage> {
    const doc: OciImageConfig = {
      architecture: hostArchitecture(),
      os: "linux",
      config: { Env: [DEFAULT_PATH] },
      rootfs: { type: "layers", diff_ids: [] },
      history: [],
    };
    return await this.record(doc, []);
  }

  async step(
    ins: Instruction,
    st: StageState,
    all: Stage[],
    label: (i: Instruction) => string,
  ): Promise<void> {
    if (this.abort.signal.aborted) {
      throw new BuildError(`${this.file}:${ins.line}: ${ins.cmd}: the build was interrupted`);
    }
    if (ins.cmd === "ARG") {
      this.wrap(ins, () => this.declareArgs(ins, st.args, this.meta, this.vars(st)));
      return;
    }
    if (METADATA.has(ins.cmd)) return await this.metadataStep(ins, st);
    if (ins.cmd === "RUN") return await this.runInstruction(ins, st, label(ins));
    if (ins.cmd === "COPY" || ins.cmd === "ADD") {
      return await this.copyInstruction(ins, st, all, label(ins));
    }
    throw new BuildError(`${this.file}:${ins.line}: ${ins.cmd} is not allowed here`);
  }

  /** `ARG a=1 b`: declare into `into`; values from --build-arg, the default, or `inherit`. */
  declareArgs(
    ins: Instruction,
    into: Map<string, string | undefined>,
    inherit: Map<string, string | undefined>,
    vars: Map<string, string> = defined(into),
  ): void {
    for (const w of processWords(ins.rest, vars, this.df.escape)) {
      const eq = w.indexOf("=");
      const name = eq < 0 ? w : w.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ARG name: ${name}`);
      const given = this.opts.buildArgs.get(name);
      if (given !== undefined) this.usedArgs.add(name);
      into.set(name, given ?? (eq >= 0 ? w.slice(eq + 1) : inherit.get(name)));
    }
  }

  /** Variables for substitution: the stage's ARGs, overridden by its ENV. */
  vars(st: StageState): Map<string, string> {
    const v = defined(st.args);
    for (const e of st.meta.config.Env ?? []) {
      const eq = e.indexOf("=");
      if (eq > 0) v.set(e.slice(0, eq), e.slice(eq + 1));
    }
    return v;
  }

  async metadataStep(ins: Instruction, st: StageState): Promise<void> {
    const next: MetaState = { ...st.meta, config: structuredClone(st.meta.config) };
    const text = this.wrap(ins, () => applyMetadata(ins, next, this.vars(st), this.df.escape));
    // the key holds the resulting config itself: a hit can only give this very config
    const result = JSON.stringify([text, next.config, next.author ?? null]);
    await this.advance(st, next, cacheKey(st.image.id, result), text, undefined);
  }

  async runInstruction(ins: Instruction, st: StageState, label: string): Promise<void> {
    const n = this.opts.progress.begin(label);
    const network = this.runNetwork(ins);
    const args = command(ins, st.meta.config);
    const envNames = new Set((st.meta.config.Env ?? []).map((e) => e.split("=")[0]));
    const env = [...defined(st.args)].filter(([k]) => !envNames.has(k)).map(([k, v]) =>
      `${k}=${v}`
    );
    if (!envNames.has("PATH")) env.push(DEFAULT_PATH);
    const text = `RUN ${JSON.stringify(args)}${env.length ? ` env ${JSON.stringify(env)}` : ""}${
      network !== "none" ? ` network ${network}` : ""
    }`;
    const key = cacheKey(st.image.id, text);
    if (await this.fromCache(key, st, n)) return;
    const result = await this.wrapAsync(ins, () =>
      runStep(this.ctx, this.store, {
        image: st.image.id,
        args,
        env,
        network,
        onOutput: (line) => this.opts.progress.output(n, line),
        signal: this.abort.signal,
      }));
    if (this.abort.signal.aborted) {
      this.opts.progress.error(n, "interrupted");
      throw new BuildError(`${this.file}:${ins.line}: ${ins.original}: the build was interrupted`);
    }
    if (!result.layer) {
      const msg = `process "${
        args.join(" ")
      }" did not complete successfully: exit code: ${result.code}`;
      this.opts.progress.error(n, msg);
      throw new BuildError(`${this.file}:${ins.line}: ${ins.original}: ${msg}`);
    }
    await this.advance(st, st.meta, key, `RUN ${args.join(" ")}`, result.layer);
    this.opts.progress.done(n);
  }

  /** `RUN --network=none|host|default` (default: the build's); other RUN flags are refused. */
  runNetwork(ins: Instruction): string {
    for (const f of Object.keys(ins.flags)) {
      if (f !== "network") {
        throw new BuildError(
          `${this.file}:${ins.line}: RUN --${f} is not supported by tsbox build`,
        );
      }
    }
    const n = ins.flags.network;
    if (n === undefined || n === "default") return this.opts.network;
    if (n !== "none" && n !== "host") {
      throw new BuildError(
        `${this.file}:${ins.line}: RUN: invalid --network=${n}: use none, host or default`,
      );
    }
    return n;
  }

  async copyInstruction(
    ins: Instruction,
    st: StageState,
    all: Stage[],
    label: string,
  ): Promise<void> {
    const n = this.opts.progress.begin(label);
    const vars = this.vars(st);
    const prep = await this.wrapAsync(ins, () =>
      prepareCopy(ins, {
        vars,
        escape: this.df.escape,
        workdir: st.meta.config.WorkingDir || "/",
        layerDirs: st.image.layerDirs,
        tree: () => this.sourceTree(ins, vars, all),
      }));
    const flags = Object.entries(ins.flags).map(([k, v]) => `--${k}=${v} `).join("");
    const text = `${ins.cmd} ${flags}${prep.words.join(" ")}`;
    const key = cacheKey(st.image.id, text, prep.digest);
    if (await this.fromCache(key, st, n)) return;
    // a temp dir among the layers: GC removes it if this process dies
    const staging = this.store.layout.temp(this.store.layout.layerDir);
    Deno.mkdirSync(this.store.layout.layerDir, { recursive: true });
    Deno.mkdirSync(staging, { mode: 0o755 });
    try {
      Deno.chmodSync(staging, 0o755);
      const layer = await this.wrapAsync(ins, async () => {
        await stageCopy(prep.plan, staging, prep.req, this.store.kernel);
        return await writeLayerBlob(this.store, staging);
      });
      await this.advance(st, st.meta, key, `${text}`, layer);
    } finally {
      safeRemoveTree(this.ctx.kernel, staging);
    }
    this.opts.progress.done(n);
  }

  async sourceTree(ins: Instruction, vars: Map<string, string>, all: Stage[]): Promise<SourceTree> {
    const from = ins.flags.from;
    if (from === undefined) return this.context();
    const ref = processWord(from, vars, this.df.escape);
    const cur = all.find((s) => s.from === ins || s.body.includes(ins));
    const dep = findStage(all, ref, cur?.index ?? all.length);
    if (dep) {
      const img = this.results.get(dep.index);
      if (!img) throw new Error(`stage "${ref}" has not been built`);
      return await imageTree(img.layerDirs, `stage ${ref}`);
    }
    const img = await resolveImage(this.ctx, ref, {
      pull: this.opts.pull ? "always" : "missing",
      platform: this.opts.platform,
      quiet: true,
    });
    return await imageTree(img.layerDirs, `image ${ref}`);
  }

  context(): SourceTree {
    if (!this.#context) {
      let ignore = "";
      try {
        ignore = Deno.readTextFileSync(join(this.opts.context, ".dockerignore"));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err; // no .dockerignore: send everything
      }
      this.#context = contextTree(this.opts.context, new IgnoreMatcher(ignore));
    }
    return this.#context;
  }

  /** Take step `key` from the cache into `st`; true on a hit. */
  async fromCache(key: string, st: StageState, n: number): Promise<boolean> {
    if (this.opts.noCache) return false;
    const hit = await this.cache.lookup(key);
    if (!hit) return false;
    if (!hit.existed) this.made.add(hit.image.id);
    this.setImage(st, hit.image, st.meta);
    this.opts.progress.cached(n);
    return true;
  }

  /** Make the step's image (config `next`, plus `layer`), cache it and move the stage on. */
  async advance(
    st: StageState,
    next: MetaState,
    key: string,
    createdBy: string,
    layer: { digest: string; size: number; diffId: string } | undefined,
  ): Promise<void> {
    if (!layer && !this.opts.noCache) {
      const hit = await this.cache.lookup(key);
      if (hit) {
        if (!hit.existed) this.made.add(hit.image.id);
        return this.setImage(st, hit.image, next);
      }
    }
    const created = new Date().toISOString();
    const doc: OciImageConfig = {
      ...st.doc,
      created,
      config: next.config,
      rootfs: {
        type: "layers",
        diff_ids: [...st.doc.rootfs.diff_ids, ...(layer ? [layer.diffId] : [])],
      },
      history: [
        ...(st.doc.history ?? []),
        {
          created,
          created_by: `${createdBy} # buildkit`,
          comment: "buildkit.dockerfile.v0",
          ...(layer ? {} : { empty_layer: true }),
        },
      ],
    };
    if (next.author) doc.author = next.author;
    // docker's legacy fields describe the container that made the base, not this step
    delete doc.container;
    delete doc.container_config;
    const base = this.store.record(st.image.id)!;
    const layers = base.layers.map((l) => ({
      digest: l.digest,
      mediaType: l.mediaType,
      size: l.size,
    }));
    if (layer) layers.push({ ...layer, mediaType: layerMediaType(base.layers) });
    const image = await this.record(doc, layers);
    this.cache.save(key, this.store.record(image.id)!);
    this.setImage(st, image, next);
  }

  setImage(st: StageState, image: ResolvedImage, next: MetaState): void {
    st.image = image;
    st.doc = this.store.configOf(image.id);
    st.meta = { ...next, config: structuredClone(st.doc.config ?? {}) };
  }

  /** Record `doc` with `layers` as an untagged image, noting it when new. */
  async record(
    doc: OciImageConfig,
    layers: { digest: string; mediaType: string; size: number }[],
  ): Promise<ResolvedImage> {
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    const id = sha256Digest(bytes);
    const existed = this.store.record(id) !== undefined;
    const image = await this.store.commitImage({ config: bytes, layers, names: [] });
    if (!existed) this.made.add(id);
    return image;
  }

  /** Run `fn`; any failure becomes `Dockerfile:N: INSTR: why`. */
  wrap<T>(ins: Instruction, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.lineError(ins, err);
    }
  }

  async wrapAsync<T>(ins: Instruction, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.lineError(ins, err);
    }
  }

  lineError(ins: Instruction, err: unknown): unknown {
    if (err instanceof BuildError) return err;
    if (!(err instanceof Error)) return err;
    return new BuildError(`${this.file}:${ins.line}: ${ins.cmd}: ${err.message}`, {
      cause: err,
      hint: err instanceof TsboxError ? err.hint : undefined,
    });
  }
}

/** The base image's history, padded to one entry per layer when it has fewer (as commit). */
function paddedHistory(cfg: OciImageConfig): NonNullable<OciImageConfig["history"]> {
  const h = [...(cfg.history ?? [])];
  const missing = cfg.rootfs.diff_ids.length - h.filter((e) => !e.empty_layer).length;
  for (let i = 0; i < missing; i++) h.unshift(cfg.created ? { created: cfg.created } : {});
  return h;
}

/** The declared ARGs that have a value. */
function defined(m: Map<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of m) if (v !== undefined) out.set(k, v);
  return out;
}
