/** Updates write the columns given (null as NULL), leave the others alone, whatever their shape. */
import Database from 'better-sqlite3';
import { ShapedUpdate } from '../../src/store/shapedUpdate';
import { SqliteDatabase } from '../../src/store/sql/sqlite';

function table(): { db: SqliteDatabase; row: () => unknown } {
  const raw = new Database(':memory:');
  raw.exec(`CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, b INTEGER, c TEXT)`);
  raw.prepare(`INSERT INTO t VALUES ('x', 'a0', 0, 'c0')`).run();
  return {
    db: new SqliteDatabase(raw, 'sqlite::memory:'),
    row: () => raw.prepare(`SELECT a, b, c FROM t WHERE id = 'x'`).get(),
  };
}

describe('ShapedUpdate', () => {
  it('writes only the columns given, null included, in any shape', async () => {
    const { db, row } = table();
    const update = new ShapedUpdate('t', ['a', 'b', 'c']);
    expect((await update.run(db, 'x', { b: 7 })).changes).toBe(1);
    expect(row()).toEqual({ a: 'a0', b: 7, c: 'c0' });
    await update.run(db, 'x', { a: null, c: 'c1', b: undefined });
    expect(row()).toEqual({ a: null, b: 7, c: 'c1' });
    // Columns outside the list are never written (nor put in SQL).
    await update.run(db, 'x', { b: 8, d: 'ignored' });
    expect(row()).toEqual({ a: null, b: 8, c: 'c1' });
  });

  it('touches the row when given no column, and changes nothing for an unknown id', async () => {
    const { db, row } = table();
    const update = new ShapedUpdate('t', ['a', 'b', 'c']);
    expect((await update.run(db, 'x', {})).changes).toBe(1);
    expect(row()).toEqual({ a: 'a0', b: 0, c: 'c0' });
    expect((await update.run(db, 'nobody', { a: 'z' })).changes).toBe(0);
  });
});
