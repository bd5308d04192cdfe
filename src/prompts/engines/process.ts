/**
 * Every speech engine runs as a child process started without a shell (so a prompt's quotes or
 * `;` are just text), in its own process group (so a timeout also kills whatever a wrapper script
 * started), with the text on stdin unless the operator's command asks for it as an argument.
 */
import { spawn } from 'node:child_process';

export class SynthesisError extends Error {}

export interface ProcessRun {
  file: string;
  args: string[];
  stdin: string;
  timeoutMs: number;
  /** Shown in errors: "espeak-ng", "piper", ... */
  label: string;
}

const MAX_OUTPUT = 64 * 1024 * 1024;

export function runEngineProcess(run: ProcessRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.file, run.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: process.env,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;
    const finish = (error: Error | undefined, output?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(output!);
    };
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      finish(
        new SynthesisError(`${run.label} did not finish within ${run.timeoutMs / 1000} s and was stopped`),
      );
    }, run.timeoutMs);
    timer.unref();
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_OUTPUT) {
        killGroup();
        finish(new SynthesisError(`${run.label} wrote more than ${MAX_OUTPUT} bytes`));
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(
        new SynthesisError(
          error.code === 'ENOENT'
            ? `${run.label}: command "${run.file}" not found`
            : `${run.label}: ${error.message}`,
        ),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return finish(undefined, Buffer.concat(stdout));
      const why = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
      const detail = stderr.trim().split('\n').slice(-3).join(' | ');
      finish(new SynthesisError(`${run.label} ${why}${detail ? `: ${detail}` : ''}`));
    });
    // A command that never reads its stdin (text given as an argument) closes the pipe early.
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.stdin);
  });
}
