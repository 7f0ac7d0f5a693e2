// Users, settings saved over someone else's change, and the audit trail: the demo's admin
// invites a member (the link shown once), a second tab's save makes this tab's stale save fail
// with the reason, the trail shows both, and the invited member joins through the link and
// manages no users. Runs last (walks go in name order); it signs the admin in again at its end.

export default async function walk({ page, base, shot, assert, login }) {
  await page.goto(`${base}/users`);
  await page.getByRole('heading', { name: 'Team' }).waitFor();
  const invite = page.getByRole('form', { name: 'Invite a user' });
  await invite.getByLabel('E-mail').fill('new.member@demo.test');
  await invite.getByLabel('Role').selectOption('member');
  await invite.getByRole('button', { name: 'Invite' }).click();
  const link = await page.getByRole('textbox', { name: 'Invitation link' }).inputValue();
  assert.match(link, /\/invite\/[0-9a-f]{64}$/);
  assert.ok(await page.getByRole('table', { name: 'Invitations' }).getByText('new.member@demo.test').isVisible());
  await shot(page, 'users-invited');

  // Two tabs on the settings: the second saves first; the first's save is refused, not lost.
  const other = await page.context().newPage();
  await other.goto(`${base}/settings`);
  await page.goto(`${base}/settings`);
  await other.getByLabel('HELP reply').fill('Reply STOP to opt out. Help: shop.example/help');
  await other.getByRole('button', { name: 'Save settings' }).click();
  await other.getByText('Settings saved.').waitFor();
  await other.close();
  await page.getByLabel('Opt-out footer').fill('Stale footer');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Someone changed the settings since this page opened').waitFor();
  await shot(page, 'settings-stale');
  await page.reload();
  assert.equal(await page.getByLabel('HELP reply').inputValue(), 'Reply STOP to opt out. Help: shop.example/help');
  assert.notEqual(await page.getByLabel('Opt-out footer').inputValue(), 'Stale footer');

  await page.goto(`${base}/audit`);
  const trail = page.getByRole('table', { name: 'Audit trail' });
  await trail.getByText('user.invited').first().waitFor();
  assert.ok(await trail.getByText('settings.changed').first().isVisible());
  await shot(page, 'audit-trail');

  // The invited member joins through the link and is signed in; users are not theirs to manage.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login/);
  await page.goto(link);
  await page.getByText('new.member@demo.test').waitFor();
  await page.getByLabel('Password (at least 10 characters)').fill('a member passphrase');
  await page.getByLabel('Password again').fill('a member passphrase');
  await page.getByRole('button', { name: 'Join' }).click();
  await page.waitForURL(`${base}/campaigns`);
  await page.goto(`${base}/users`);
  await page.getByText('Only an admin of this account sees and manages its users.').waitFor();
  await page.goto(link);
  await page.getByRole('heading', { name: 'This invitation does not work' }).waitFor();

  await page.goto(`${base}/users`);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login/);
  await page.getByLabel('E-mail').fill(login.email);
  await page.getByLabel('Password').fill(login.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/campaigns/);
}
