/**
 * A rolling restart under chat traffic, as docs/deploy.md describes it: SIGTERM one node, wait for it to
 * exit, start it again, wait until nginx sends it requests, then the other node. Each draining node tells
 * its clients to move (`goaway`); they reconnect through nginx to the other node, holding their sends
 * meanwhile, so nothing is refused, lost or shown twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionsOn, routedTo, useDeployment } from './deploy-helpers.js';
import { assertExactlyOnce, openChat, type ChatPage, type Sent } from './chat-pages.js';

const DRAIN_MS = 3000;
const deployment = useDeployment({ drainMs: DRAIN_MS });

const answered = (p: ChatPage): Promise<number> =>
  p.page.evaluate(() => (window as unknown as { __sent: Sent[] }).__sent.filter((s) => s.ok).length);

/** Waits until every page has had `more` further sends answered. */
async function moreAnswered(pages: ChatPage[], more: number): Promise<void> {
  const now = await Promise.all(pages.map(answered));
  await Promise.all(
    pages.map((p, i) =>
      p.page.waitForFunction(
        (since) => (window as unknown as { __sent: Sent[] }).__sent.filter((s) => s.ok).length >= since,
        now[i] + more,
        { timeout: 30_000 },
      ),
    ),
  );
}

test(
  'both nodes restarted one after the other while three browsers chat: nothing refused, lost or doubled',
  { timeout: 180_000 },
  async (t) => {
    const pages = [
      await openChat(deployment, 'Ann'),
      await openChat(deployment, 'Ben'),
      await openChat(deployment, 'Cat'),
    ];
    for (const p of pages) await p.startTraffic(150);
    await moreAnswered(pages, 3);

    const figures: string[] = [];
    for (const index of [0, 1]) {
      const node = deployment.nodes[index];
      const other = deployment.nodes[1 - index];
      const had = await connectionsOn(node);
      const signalled = Date.now();
      node.child.kill('SIGTERM');
      const { code } = await node.exited;
      const stoppedMs = Date.now() - signalled;
      assert.equal(code, 0, node.output());
      assert.match(node.output(), /stopped in \d+ ms/);
      // Every client moved before the drain time was up: none had to be closed.
      assert.doesNotMatch(node.output(), /still connected after/);
      assert.ok(stoppedMs < DRAIN_MS + 5000 + 5000, `${node.name} stopped ${stoppedMs} ms after SIGTERM`);
      for (let i = 0; (await connectionsOn(other)) !== pages.length; i++) {
        assert.ok(i < 200, `the clients of ${node.name} did not all arrive on ${other.name}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      figures.push(`${node.name}: ${had} client(s) moved, exit 0 ${stoppedMs} ms after SIGTERM`);

      const restarted = await deployment.restart(index);
      await routedTo(deployment.proxy, deployment.tls, restarted);
      await moreAnswered(pages, 3);
    }

    const sent = new Map<string, Sent[]>();
    for (const p of pages) sent.set(p.name, await p.stopTraffic());
    const all = [...sent.values()].flat();
    assert.deepEqual(
      all.filter((s) => !s.ok),
      [],
      'no send was refused',
    );
    const last = [...sent.values()].map((list) => list.at(-1)!.text);
    for (const p of pages) {
      await p.page.waitForFunction((texts) => {
        const el = document.querySelector('comet-chat')!;
        return texts.every((text) => el.messages.some((m) => m.text === text));
      }, last);
    }
    await assertExactlyOnce(pages, sent);

    const moves = await Promise.all(
      pages.map(async (p) => (await p.events()).filter((e) => e.type === 'disconnect').length),
    );
    const slowest = Math.max(...all.map((s) => s.ms));
    const median = all.map((s) => s.ms).sort((a, b) => a - b)[Math.floor(all.length / 2)];
    t.diagnostic(figures.join('; '));
    t.diagnostic(
      `${all.length} messages sent by ${pages.length} browsers, all acknowledged and shown once everywhere; ` +
        `moves per browser ${moves.join('/')}; send answered in median ${median} ms, slowest ${slowest} ms (a send held during a move)`,
    );
    for (const p of pages) await p.page.context().close();
  },
);
