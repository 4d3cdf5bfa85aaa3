// The equipment catalogue, the dependencias and the request categories, cached on the phone for
// offline scanning and offline requests. The catalogue is revalidated with its ETag.

import { signal } from "@preact/signals"
import { getJson } from "./api"
import { DEFAULT_CATEGORIES, equipmentKindLabel, equipmentStatusLabel } from "./es"

export interface CatalogItem {
  code: string
  kind: string
  brand: string
  model: string
  dependencia: string | null
  location: string
  status: string
}

interface CachedCatalog {
  etag: string | null
  fetchedAt: number
  items: CatalogItem[]
}

export interface Dependencia {
  code: string
  name: string
}

const CATALOG_KEY = "campo.catalog"
const DEPENDENCIAS_KEY = "campo.dependencias"
const CATEGORIES_KEY = "campo.categories"

function read<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? "null") as T | null
  } catch {
    return null
  }
}

export const catalog = signal<CachedCatalog | null>(read<CachedCatalog>(CATALOG_KEY))
export const dependencias = signal<Dependencia[]>(read<Dependencia[]>(DEPENDENCIAS_KEY) ?? [])
/** The request categories a coordinator keeps in Ajustes (GET /api/settings/categories). */
export const categories = signal<string[]>(read<string[]>(CATEGORIES_KEY) ?? [...DEFAULT_CATEGORIES])

/** A dependencia's name from the cached list; its code only when the phone does not know it. */
export function dependenciaName(code: string | null | undefined): string {
  if (!code) return ""
  return dependencias.value.find(d => d.code === code)?.name ?? code
}

export function lookup(code: string): CatalogItem | undefined {
  return catalog.value?.items.find(i => i.code === code)
}

/** «Computador HP ProDesk 400 · En taller»: what the item is and where it is, in Spanish. */
export function describe(item: CatalogItem): string {
  const what = [equipmentKindLabel(item.kind), item.brand, item.model].filter(s => s && s.trim() !== "").join(" ")
  return item.status ? `${what} · ${equipmentStatusLabel(item.status)}` : what
}

export async function refreshCatalog(): Promise<void> {
  try {
    const headers: Record<string, string> = {}
    const etag = catalog.value?.etag
    if (etag) headers["if-none-match"] = etag
    const response = await fetch("/api/equipment/catalog", { headers, credentials: "same-origin" })
    if (response.status === 304 && catalog.value) {
      catalog.value = { ...catalog.value, fetchedAt: Date.now() }
    } else if (response.ok) {
      const body = (await response.json()) as { items: CatalogItem[] }
      catalog.value = { etag: response.headers.get("etag"), fetchedAt: Date.now(), items: body.items }
    } else {
      return
    }
    localStorage.setItem(CATALOG_KEY, JSON.stringify(catalog.value))
  } catch {
    // Offline: keep the cached catalogue.
  }
}

export async function refreshDependencias(): Promise<void> {
  try {
    const list = await getJson<Dependencia[] | { dependencias: Dependencia[] }>("/api/dependencias")
    dependencias.value = Array.isArray(list) ? list : list.dependencias
    localStorage.setItem(DEPENDENCIAS_KEY, JSON.stringify(dependencias.value))
  } catch {
    // Offline: keep the cached list.
  }
}

/** Keeps the request categories for offline requests (an empty or malformed answer is ignored). */
export async function refreshCategories(): Promise<void> {
  try {
    const body = await getJson<{ categories: string[] }>("/api/settings/categories")
    setCategories(body.categories)
  } catch {
    // Offline: keep the cached list.
  }
}

/** The categories in force, as the server answered them (also after a coordinator saves them). */
export function setCategories(list: unknown): void {
  if (!Array.isArray(list) || list.length === 0 || !list.every(c => typeof c === "string")) return
  categories.value = list as string[]
  localStorage.setItem(CATEGORIES_KEY, JSON.stringify(categories.value))
}

/**
 * The choices of a category select: the categories in force, and the current value when it is
 * not among them (a request typed before a coordinator renamed its category keeps it).
 */
export function categoryChoices(current: string): string[] {
  const list = categories.value
  return current && !list.includes(current) ? [...list, current] : list
}

export function clearCatalog(): void {
  localStorage.removeItem(CATALOG_KEY)
  localStorage.removeItem(DEPENDENCIAS_KEY)
  localStorage.removeItem(CATEGORIES_KEY)
  catalog.value = null
  dependencias.value = []
  categories.value = [...DEFAULT_CATEGORIES]
}
