/** WAL checkpoints run in a worker: the daemon's connection never checkpoints on a commit. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointInBackground } from '../../src/store/checkpointer';
import { openDatabase } from '../../src/store/database';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();

test('the connection stops checkpointing, and the worker copies the WAL into the database file', async () => {
  const file = path.join(dir, 'checkpoint.db');
  const db = openDatabase(file);
  const errors: Error[] = [];
  const checkpointer = checkpointInBackground(db, (error) => errors.push(error));
  try {
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const sizeBefore = fs.statSync(file).size;
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)');
    const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run('x'.repeat(1000));
    // The pages reach the database file only through a checkpoint, here the worker's.
    for (let i = 0; i < 200 && fs.statSync(file).size < sizeBefore + 1_000_000; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fs.statSync(file).size).toBeGreaterThan(sizeBefore + 1_000_000);
  } finally {
    await checkpointer.stop();
    db.close();
  }
  expect(errors).toEqual([]);
});

test('an in-memory database has no WAL and no worker', async () => {
  const db = openDatabase(':memory:');
  await checkpointInBackground(db, () => undefined).stop();
  db.close();
});
