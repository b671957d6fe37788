// A real Bluesky PDS (@atproto/pds) and an in-memory PLC directory (@did-plc/server), both on
// 127.0.0.1, for envol's tests and `envol sandbox`.
//
// Usage: node server.mjs DATA_DIR [--pds-port N] [--plc-port N] [--rate-limits] [--exit-on-stdin-close]
// Environment (each overridden by the matching flag):
//   ENVOL_PDS_PORT, ENVOL_PLC_PORT   ports, 0 (default) = a free port
//   ENVOL_PDS_RATE_LIMITS            "true" to apply the PDS's real rate limits (off by default)
//   ENVOL_PDS_MODULES_DIR            folder holding node_modules (default: this file's folder)
//   ENVOL_PDS_LOG                    "true" to write the PDS's own logs to DATA_DIR/pds.log
//
// When both servers listen, prints exactly one JSON line on stdout:
//   {"pds_url": ..., "plc_url": ..., "admin_password": ..., "pds_port": ..., "plc_port": ..., "pid": ...}
// and stops cleanly on SIGTERM or SIGINT (and on stdin EOF with --exit-on-stdin-close, so that a
// crashed parent never leaves a server behind).
//
// Restarting on the same DATA_DIR keeps everything: the PDS's SQLite databases and blobs live
// there, the secrets are saved there on first start, and every PLC operation is appended to
// DATA_DIR/plc-operations.jsonl and replayed at start, so DIDs still resolve. Rate-limit counters
// live in memory and so start afresh.

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
    rateLimits: /^(true|1|yes)$/i.test(process.env.ENVOL_PDS_RATE_LIMITS ?? ''),
    exitOnStdinClose: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--pds-port') options.pdsPort = argv[++i]
    else if (arg === '--plc-port') options.plcPort = argv[++i]
    else if (arg === '--rate-limits') options.rateLimits = true
    else if (arg === '--no-rate-limits') options.rateLimits = false
    else if (arg === '--exit-on-stdin-close') options.exitOnStdinClose = true
    else if (arg.startsWith('--')) fail(`unknown option ${arg}`)
    else if (options.dataDir === null) options.dataDir = arg
    else fail(`unexpected argument ${arg}`)
  }
  if (!options.dataDir) fail('usage: node server.mjs DATA_DIR [--pds-port N] [--plc-port N] [--rate-limits]')
  for (const key of ['pdsPort', 'plcPort']) {
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

// Express's app.listen(port) binds every interface; bind loopback only.
function listenOnLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, LOOPBACK, ...rest)
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

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const here = path.dirname(fileURLToPath(import.meta.url))
  const modulesDir = path.resolve(process.env.ENVOL_PDS_MODULES_DIR ?? here)
  mkdirSync(path.join(options.dataDir, 'blobs'), { recursive: true })

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
  listenOnLoopback(plc.app)
  const plcServer = await plc.start()
  const plcUrl = `http://${LOOPBACK}:${plcServer.address().port}`

  const pdsPort = options.pdsPort || (await freePort())
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
    // No AppView runs here: app.bsky.* reads answer 502 (a closed loopback port, never the internet).
    PDS_BSKY_APP_VIEW_URL: process.env.ENVOL_PDS_APPVIEW_URL ?? `http://${LOOPBACK}:1`,
    PDS_BSKY_APP_VIEW_DID: process.env.ENVOL_PDS_APPVIEW_DID ?? 'did:example:no-appview',
    PDS_CRAWLERS: '',
    PDS_RATE_LIMITS_ENABLED: options.rateLimits ? 'true' : 'false',
  })
  const env = readEnv()
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  listenOnLoopback(pds.app)
  await pds.start()

  let stopping = false
  const stop = async (reason) => {
    if (stopping) return
    stopping = true
    const timer = setTimeout(() => process.exit(1), 10_000)
    timer.unref()
    try {
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
      pid: process.pid,
    }) + '\n',
  )
}

main().catch((err) => fail(err?.stack ?? String(err)))
