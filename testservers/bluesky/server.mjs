// A real Bluesky PDS (@atproto/pds) and an in-memory PLC directory (@did-plc/server), both on
// 127.0.0.1, for envol's tests and `envol sandbox`; with --appview-db, also the real Bluesky
// AppView (@atproto/bsky, with its bsync service) on that PostgreSQL database, fed by the PDS's
// firehose, and the PDS proxies app.bsky.* to it (PDS_BSKY_APP_VIEW_URL).
//
// Usage: node server.mjs DATA_DIR [--pds-port N] [--plc-port N] [--appview-port N] [--rate-limits]
//                        [--appview-db POSTGRES_URL] [--exit-on-stdin-close]
// Environment (each overridden by the matching flag):
//   ENVOL_PDS_PORT, ENVOL_PLC_PORT,  ports, 0 (default) = a free port
//   ENVOL_APPVIEW_PORT
//   ENVOL_PDS_RATE_LIMITS            "true" to apply the PDS's real rate limits (off by default)
//   ENVOL_APPVIEW_DB                 postgresql://… for the AppView (none: no AppView)
//   ENVOL_PDS_MODULES_DIR            folder holding node_modules (default: this file's folder)
//   ENVOL_PDS_LOG                    "true" to write the servers' own logs to DATA_DIR/pds.log
//
// When the servers listen, prints exactly one JSON line on stdout:
//   {"pds_url": ..., "plc_url": ..., "admin_password": ..., "pds_port": ..., "plc_port": ...,
//    "appview_url": ... or null, "appview_did": ..., "appview_port": ..., "pid": ...}
// and stops cleanly on SIGTERM or SIGINT (and on stdin EOF with --exit-on-stdin-close, so that a
// crashed parent never leaves a server behind).
//
// Restarting on the same DATA_DIR keeps everything: the PDS's SQLite databases and blobs live
// there, the secrets are saved there on first start, and every PLC operation is appended to
// DATA_DIR/plc-operations.jsonl and replayed at start, so DIDs still resolve. Rate-limit counters
// live in memory and so start afresh. The AppView keeps nothing of its own: its database is the
// caller's (a fresh one each start is fine) and it replays the PDS's whole firehose at start
// (the PDS keeps its events; the backfill window is opened wide), so it always mirrors the PDS.

import { randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const LOOPBACK = '127.0.0.1'

function fail(message) {
  process.stderr.write(`envol bluesky test server: ${message}\n`)
  process.exit(2)
}

function parseArgs(argv) {
  const options = {
    dataDir: null,
    pdsPort: process.env.ENVOL_PDS_PORT ?? '0',
    plcPort: process.env.ENVOL_PLC_PORT ?? '0',
    appviewPort: process.env.ENVOL_APPVIEW_PORT ?? '0',
    rateLimits: /^(true|1|yes)$/i.test(process.env.ENVOL_PDS_RATE_LIMITS ?? ''),
    appviewDb: process.env.ENVOL_APPVIEW_DB || null,
    exitOnStdinClose: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--pds-port') options.pdsPort = argv[++i]
    else if (arg === '--plc-port') options.plcPort = argv[++i]
    else if (arg === '--appview-port') options.appviewPort = argv[++i]
    else if (arg === '--appview-db') options.appviewDb = argv[++i]
    else if (arg === '--rate-limits') options.rateLimits = true
    else if (arg === '--no-rate-limits') options.rateLimits = false
    else if (arg === '--exit-on-stdin-close') options.exitOnStdinClose = true
    else if (arg.startsWith('--')) fail(`unknown option ${arg}`)
    else if (options.dataDir === null) options.dataDir = arg
    else fail(`unexpected argument ${arg}`)
  }
  if (!options.dataDir) fail('usage: node server.mjs DATA_DIR [--pds-port N] [--plc-port N] [--rate-limits]')
  for (const key of ['pdsPort', 'plcPort', 'appviewPort']) {
    const port = Number(options[key])
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${options[key]}`)
    options[key] = port
  }
  options.dataDir = path.resolve(options.dataDir)
  return options
}

// Dependencies live in the install cache, not necessarily next to this file.
function moduleLoader(modulesDir) {
  const require = createRequire(path.join(modulesDir, 'package.json'))
  return async (name) => {
    let resolved
    try {
      resolved = require.resolve(name)
    } catch {
      fail(`cannot find ${name} under ${modulesDir}: run \`make testservers\``)
    }
    return import(pathToFileURL(resolved).href)
  }
}

// The PDS writes its own port into its public URL and DID documents, so it needs it before listening.
async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

// Express's app.listen(port), and every server of the AppView and bsync, bind all interfaces:
// in this process, a listen on a bare port binds loopback only.
function listenOnLoopbackOnly() {
  const listen = net.Server.prototype.listen
  net.Server.prototype.listen = function (...args) {
    const [port, host] = args
    const barePort = (typeof port === 'number' || /^\d+$/.test(String(port))) && typeof host !== 'string'
    return barePort ? listen.call(this, Number(port), LOOPBACK, ...args.slice(1)) : listen.apply(this, args)
  }
}

async function loadSecrets(dataDir, Secp256k1Keypair) {
  const file = path.join(dataDir, 'envol-secrets.json')
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'))
  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  const secrets = {
    jwtSecret: randomBytes(32).toString('hex'),
    adminPassword: randomBytes(18).toString('base64url'),
    plcRotationKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
  }
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 })
  return secrets
}

// The mock PLC database is in memory: journal its accepted operations and replay them at start.
async function persistentPlcDatabase(Database, dataDir) {
  const journal = path.join(dataDir, 'plc-operations.jsonl')
  const db = Database.mock()
  if (existsSync(journal)) {
    for (const line of readFileSync(journal, 'utf8').split('\n')) {
      if (!line.trim()) continue
      let entry
      try {
        entry = JSON.parse(line)
      } catch {
        continue // a line cut short by a hard kill: the PDS never got an answer for it
      }
      await db.validateAndAddOp(entry.did, entry.op)
    }
  }
  const addOp = db.validateAndAddOp.bind(db)
  db.validateAndAddOp = async (did, op) => {
    await addOp(did, op)
    appendFileSync(journal, JSON.stringify({ did, op }) + '\n')
  }
  return db
}

// The real AppView (@atproto/bsky) and bsync (mutes, bookmarks), started through @atproto/dev-env's
// TestBsky and TestBsync, on `dbUrl` (schemas "appview" and "bsync"), reading the PDS's firehose.
async function startAppView(load, { dbUrl, port, plcUrl, pdsPort }) {
  const { TestBsky, TestBsync } = await load('@atproto/dev-env')
  const apiKey = randomBytes(16).toString('hex')
  const bsync = await TestBsync.create({ dbUrl, dbSchema: 'bsync', apiKeys: [apiKey] })
  const bsky = await TestBsky.create({
    port: port || (await freePort()),
    plcUrl,
    repoProvider: `ws://${LOOPBACK}:${pdsPort}`,
    dbPostgresUrl: dbUrl,
    dbPostgresSchema: 'appview',
    bsyncUrl: `http://${LOOPBACK}:${bsync.port}`,
    bsyncApiKey: apiKey,
  })
  bsync.ctx.dataplaneClients = [bsky.ctx.dataplane]
  return { bsky, bsync, url: `http://${LOOPBACK}:${bsky.port}` }
}

// Handles end in .test and the PDS's URL is http://localhost:PORT: the AppView resolves both
// through the PDS itself, as dev-env's TestNetwork arranges (never through DNS).
async function resolveThroughPds(load, appview, pds, pdsPort) {
  const { mockResolvers } = await load('@atproto/dev-env')
  const local = { ctx: pds.ctx, port: pdsPort, url: `http://${LOOPBACK}:${pdsPort}` }
  mockResolvers(appview.bsky.ctx.idResolver, local)
  mockResolvers(appview.bsky.dataplane.idResolver, local)
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const here = path.dirname(fileURLToPath(import.meta.url))
  const modulesDir = path.resolve(process.env.ENVOL_PDS_MODULES_DIR ?? here)
  mkdirSync(path.join(options.dataDir, 'blobs'), { recursive: true })
  listenOnLoopbackOnly()

  // The atproto logger reads these when first imported.
  if (/^(true|1|yes)$/i.test(process.env.ENVOL_PDS_LOG ?? '')) {
    process.env.LOG_ENABLED = 'true'
    process.env.LOG_DESTINATION = path.join(options.dataDir, 'pds.log')
  } else {
    process.env.LOG_ENABLED = 'false'
  }

  const load = moduleLoader(modulesDir)
  const { Secp256k1Keypair } = await load('@atproto/crypto')
  const plcModule = await load('@did-plc/server')
  const { PlcServer, Database } = plcModule.default?.PlcServer ? plcModule.default : plcModule
  const pdsModule = await load('@atproto/pds')
  const { PDS, envToCfg, envToSecrets, readEnv } = pdsModule

  const secrets = await loadSecrets(options.dataDir, Secp256k1Keypair)

  const plc = PlcServer.create({
    db: await persistentPlcDatabase(Database, options.dataDir),
    port: options.plcPort,
  })
  const plcServer = await plc.start()
  const plcUrl = `http://${LOOPBACK}:${plcServer.address().port}`

  const pdsPort = options.pdsPort || (await freePort())
  const appview = options.appviewDb
    ? await startAppView(load, { dbUrl: options.appviewDb, port: options.appviewPort, plcUrl, pdsPort })
    : null
  Object.assign(process.env, {
    PDS_PORT: String(pdsPort),
    PDS_HOSTNAME: 'localhost',
    PDS_DEV_MODE: 'true',
    PDS_DATA_DIRECTORY: options.dataDir,
    PDS_BLOBSTORE_DISK_LOCATION: path.join(options.dataDir, 'blobs'),
    PDS_JWT_SECRET: secrets.jwtSecret,
    PDS_ADMIN_PASSWORD: secrets.adminPassword,
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: secrets.plcRotationKeyHex,
    PDS_DID_PLC_URL: plcUrl,
    PDS_INVITE_REQUIRED: 'false',
    // Handles are <name>.test; the PDS only accepts a front part of 3 to 18 characters, no dot.
    PDS_SERVICE_HANDLE_DOMAINS: '.test',
    // Without an AppView, app.bsky.* reads answer 502 (a closed loopback port, never the internet).
    PDS_BSKY_APP_VIEW_URL: appview?.url ?? `http://${LOOPBACK}:1`,
    PDS_BSKY_APP_VIEW_DID: appview?.bsky.serverDid ?? 'did:example:no-appview',
    PDS_CRAWLERS: '',
    PDS_RATE_LIMITS_ENABLED: options.rateLimits ? 'true' : 'false',
  })
  if (appview) {
    // A fresh AppView database replays the firehose from its start: keep every event (10 years).
    process.env.PDS_REPO_BACKFILL_LIMIT_MS = String(10 * 365 * 24 * 3600 * 1000)
  }
  const env = readEnv()
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  await pds.start()
  if (appview) {
    await resolveThroughPds(load, appview, pds, pdsPort)
    // Its firehose client tried the PDS before it listened: reconnect now, not after a backoff.
    await appview.bsky.sub.restart()
  }

  let stopping = false
  const stop = async (reason) => {
    if (stopping) return
    stopping = true
    const timer = setTimeout(() => process.exit(1), 10_000)
    timer.unref()
    try {
      if (appview) {
        await appview.bsky.close()
        await appview.bsync.close()
      }
      await pds.destroy()
      await plc.destroy()
    } catch (err) {
      process.stderr.write(`envol bluesky test server: error while stopping (${reason}): ${err}\n`)
      process.exit(1)
    }
    process.exit(0)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  if (options.exitOnStdinClose) {
    process.stdin.on('end', () => stop('stdin closed'))
    process.stdin.resume()
  }

  process.stdout.write(
    JSON.stringify({
      pds_url: `http://${LOOPBACK}:${pdsPort}`,
      plc_url: plcUrl,
      admin_password: secrets.adminPassword,
      pds_port: pdsPort,
      plc_port: plcServer.address().port,
      rate_limits: options.rateLimits,
      appview_url: appview?.url ?? null,
      appview_did: appview?.bsky.serverDid ?? null,
      appview_port: appview?.bsky.port ?? null,
      pid: process.pid,
    }) + '\n',
  )
}

main().catch((err) => fail(err?.stack ?? String(err)))
