/** The caller's token (JWT or API key), kept for the browser tab only. */
const KEY = 'pipewise.token';

export const getToken = (): string | null => sessionStorage.getItem(KEY);
export const setToken = (token: string | null) => (token ? sessionStorage.setItem(KEY, token) : sessionStorage.removeItem(KEY));
export const authHeader = (): Record<string, string> => {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
};
